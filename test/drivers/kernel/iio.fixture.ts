// An IIO device (the kernel's dht11 driver) in the fake /sys, for the all-drivers e2e.
import type { DriverFixture } from "../../helpers/driver-fixture.js";

/** Processed values the kernel would give (milli-units), by channel. */
const INPUTS: Record<string, string> = { temp: "22300", humidityrelative: "41500" };

export const fixtures: DriverFixture[] = [
  {
    driver: "iio",
    async attach(rig, o) {
      const dir = "bus/iio/devices/iio:device0";
      await rig.sysfsFile(`${dir}/name`, `${String(o.device)}\n`);
      for (const { channel } of o.channels as Array<{ channel: string }>) {
        await rig.sysfsFile(`${dir}/in_${channel}_input`, `${INPUTS[channel] ?? "1000"}\n`);
      }
    },
    expected: { temperature: 22.3, humidity: 41.5 },
  },
];
