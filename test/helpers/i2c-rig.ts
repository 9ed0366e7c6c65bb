// An I2C driver on a chip emulator: a fresh FakeI2cBus (test/fakes/i2c-bus.ts) behind the real
// bus layer (locking, timeouts, retries), the chip at the address the driver's config resolves to.
import { pino } from "pino";
import { onTestFinished } from "vitest";
import { createBusFactory } from "../../drivers/bus/index.js";
import type { BusFactory } from "../../drivers/bus/types.js";
import type { DriverDefinition, Sensor } from "../../drivers/types.js";
import { FakeI2cBus, type I2cChipEmulator } from "../fakes/i2c-bus.js";

const silent = pino({ level: "silent" });

/** The real bus factory with I2C on `fake` (1 ms retry backoff, so retry tests stay quick). */
export function fakeI2cBusFactory(fake: FakeI2cBus, i2c: { timeoutMs?: number; retries?: number } = {}): BusFactory {
  // A fresh opener per call: the bus layer shares adapters (and their lock) per opener.
  return createBusFactory({ i2cOpenBus: () => Promise.resolve(fake), i2c: { retryDelayMs: 1, ...i2c } });
}

/**
 * Open `driver` with `config` (its defaults applied) on a new FakeI2cBus hosting `chip` at the
 * config's address; the sensor is closed when the test ends.
 */
export async function openOnFakeI2c<C extends { address: number }>(
  driver: DriverDefinition<C>,
  chip: I2cChipEmulator,
  config: Record<string, unknown> = {},
  id = "chip",
): Promise<{ fake: FakeI2cBus; sensor: Sensor }> {
  const parsed = driver.configSchema.parse(config);
  const fake = new FakeI2cBus().attach(parsed.address, chip);
  const sensor = await driver.open(parsed, { bus: fakeI2cBusFactory(fake), log: silent, id });
  onTestFinished(() => sensor.close());
  return { fake, sensor };
}
