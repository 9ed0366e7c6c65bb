// A PMS5003 streaming a frame every 100 ms on a pty, for the all-drivers e2e.
import { buildFrame } from "../../../drivers/serial/pms5003.js";
import type { DriverFixture } from "../../helpers/driver-fixture.js";

export const fixtures: DriverFixture[] = [
  {
    driver: "pms5003",
    async attach(rig) {
      return { port: await rig.streamingPort(() => buildFrame({ pm1_0: 3, pm2_5: 7, pm10: 9 })) };
    },
    expected: { pm1_0: 3, pm2_5: 7, pm10: 9 },
  },
];
