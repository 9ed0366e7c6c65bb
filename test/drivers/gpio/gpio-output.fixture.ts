// A relay output on the Pi's gpiochip in the fake /sys, through the fake onoff, for the all-drivers e2e.
import type { DriverFixture } from "../../helpers/driver-fixture.js";

export const fixtures: DriverFixture[] = [
  {
    driver: "gpio-output",
    attach: (rig) => rig.piGpioChip(),
    // The registry example starts it "off".
    expected: { relay: false },
  },
];
