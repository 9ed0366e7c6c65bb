// A BH1750 seeing 300 lx, for the all-drivers e2e.
import { Bh1750Emulator } from "../../fakes/chips/bh1750.js";
import type { DriverFixture } from "../../helpers/driver-fixture.js";

export const fixtures: DriverFixture[] = [
  {
    driver: "bh1750",
    attach(rig, o) {
      const { bus, address } = o as { bus: number; address: number };
      const chip = new Bh1750Emulator(5);
      chip.lux = 300;
      rig.i2c(bus).attach(address, chip);
    },
    expected: { illuminance: 300 },
  },
];
