// An ADS1115 with 2.0 V on every input, for the all-drivers e2e.
import { Ads1115Emulator } from "../../fakes/chips/ads1115.js";
import type { DriverFixture } from "../../helpers/driver-fixture.js";

export const fixtures: DriverFixture[] = [
  {
    driver: "ads1115",
    attach(rig, o) {
      const { bus, address } = o as { bus: number; address: number };
      const adc = new Ads1115Emulator();
      adc.inputs.fill(2.0);
      rig.i2c(bus).attach(address, adc);
    },
    // The registry example maps 2.8 V → 0 % and 1.2 V → 100 %.
    expected: { voltage: 2, soil_moisture: 50 },
  },
];
