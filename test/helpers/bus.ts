// Bus factories for driver tests: only the buses a test hands over work; reaching for another
// one fails the test with a message naming it (a serial driver has no business opening I2C).
import type { BusFactory } from "../../drivers/bus/types.js";

function absent(what: string): never {
  throw new Error(`this test gives the driver no ${what}`);
}

/** A BusFactory of `parts`; the others throw. `sysfsRoot` defaults to a path that is never there. */
export function busWith(parts: Partial<BusFactory>): BusFactory {
  return {
    serial: () => absent("serial port"),
    i2c: () => absent("I2C bus"),
    gpio: () => absent("GPIO"),
    sysfsRoot: "/nonexistent-sysfs",
    ...parts,
  };
}
