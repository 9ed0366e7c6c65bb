// An MH-Z19 answering CO₂ queries on a pty, for the all-drivers e2e.
import { Mhz19Emulator } from "../../fakes/mhz19-emulator.js";
import type { DriverFixture } from "../../helpers/driver-fixture.js";

export const fixtures: DriverFixture[] = [
  {
    driver: "mhz19",
    async attach(rig) {
      const pair = await rig.serialPort();
      const co2 = Mhz19Emulator.open(pair.emulatorPath);
      co2.co2 = 612;
      rig.defer(() => co2.close());
      return { port: pair.devicePath };
    },
    expected: { co2: 612, temperature: 24 },
  },
];
