// A device printing "T=21.5 door=1" lines on a pty, for the all-drivers e2e (the registry
// example extracts `temperature` and `door_open`).
import type { DriverFixture } from "../../helpers/driver-fixture.js";

export const fixtures: DriverFixture[] = [
  {
    driver: "serial-line",
    async attach(rig) {
      return { port: await rig.streamingPort(() => Buffer.from("T=21.5 door=1\n")) };
    },
    expected: { temperature: 21.5, door_open: true },
  },
];
