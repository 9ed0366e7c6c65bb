// GPIO inputs (the gpio-input and gpio-counter drivers, tested in test/drivers/bus/gpio.test.ts)
// on the Pi's gpiochip in the fake /sys, through the fake onoff, for the all-drivers e2e.
import type { DriverFixture } from "../../helpers/driver-fixture.js";

export const fixtures: DriverFixture[] = [
  {
    driver: "gpio-input",
    attach: (rig) => rig.piGpioChip(),
    expected: { edges: 0 },
  },
  {
    driver: "gpio-counter",
    attach: (rig) => rig.piGpioChip(),
    expected: { total: 0 },
  },
];
