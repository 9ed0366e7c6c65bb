// A DS18B20 under the kernel's w1 driver (a w1_slave file in the fake /sys), for the all-drivers e2e.
import type { DriverFixture } from "../../helpers/driver-fixture.js";

export const fixtures: DriverFixture[] = [
  {
    driver: "ds18b20",
    async attach(rig, o) {
      const sensor = String(o.sensor);
      await rig.sysfsFile(`bus/w1/devices/${sensor}/w1_slave`, "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n");
    },
    expected: { temperature: 23.13 },
  },
];
