// The real buses, handed to drivers through DriverContext. Hardware modules load lazily on
// first open, so importing this costs nothing on machines without them.
import { openI2cDevice, type I2cDeviceDeps, type OpenBus } from "./i2c-device.js";
import { openGpioLine } from "./gpio.js";
import { openSerialLink, type SerialBackoff } from "./serial.js";
import type { BusFactory } from "./types.js";

export interface BusFactoryOptions {
  /** Reopen timing of serial links; tests shorten it to see a replug within a second. */
  serialBackoff?: Partial<SerialBackoff>;
  /** Opens I2C adapter N; tests pass a FakeI2cBus (test/fakes/i2c-bus.ts). Default: i2c-bus. */
  i2cOpenBus?: OpenBus;
  /** Timeout/retry settings of I2C calls (defaults: 1000 ms, 3 retries). */
  i2c?: Omit<I2cDeviceDeps, "openBus">;
  /** Root of /sys (GPIO chip lookup, kernel-driver paths); tests point it at a fake tree. */
  sysfsRoot?: string;
  /** Loads onoff; tests pass a fake Gpio class (test/fakes/onoff.ts). Default: the real module. */
  gpioLoadOnoff?: () => Promise<typeof import("onoff")>;
}

export function createBusFactory(options: BusFactoryOptions = {}): BusFactory {
  const { serialBackoff, i2cOpenBus, sysfsRoot = "/sys" } = options;
  const i2cDeps: I2cDeviceDeps = { ...options.i2c, ...(i2cOpenBus ? { openBus: i2cOpenBus } : {}) };
  return {
    serial: serialBackoff ? (serial, log) => openSerialLink(serial, log, serialBackoff) : openSerialLink,
    i2c: (o, log) => openI2cDevice(o, log, i2cDeps),
    gpio: (o, log) => openGpioLine(o, log, { sysfsRoot, ...(options.gpioLoadOnoff ? { loadOnoff: options.gpioLoadOnoff } : {}) }),
    sysfsRoot,
  };
}
