// Opens every configured sensor through its driver. A sensor whose open() fails is kept and
// retried on each read, so it shows up in readouts as a failure instead of vanishing.
import type { Logger } from "pino";
import type { BusFactory } from "../../drivers/bus/types.js";
import { findDriver } from "../../drivers/registry.js";
import type { Sensor } from "../../drivers/types.js";
import type { SensorConfig } from "../config/types.js";
import { Poller } from "./poller.js";

export async function openSensors(sensors: readonly SensorConfig[], bus: BusFactory, log: Logger): Promise<Poller[]> {
  return Promise.all(
    sensors.map(async (s) => {
      const slog = log.child({ sensor: s.id, driver: s.driver });
      const sensor = await openOrRetry(s, bus, slog);
      return new Poller({ id: s.id, driver: s.driver, periodMs: s.periodMs, timeoutMs: s.timeoutMs }, sensor, slog);
    }),
  );
}

async function openOrRetry(s: SensorConfig, bus: BusFactory, log: Logger): Promise<Sensor> {
  const driver = findDriver(s.driver);
  if (!driver) throw new Error(`unknown driver "${s.driver}"`); // config validation prevents this
  const open = () => driver.open(s.options, { bus, log, id: s.id });
  try {
    return await open();
  } catch (err) {
    log.error({ err }, "sensor failed to open; will retry on each read");
    let sensor: Sensor | undefined;
    return {
      async read(signal) {
        sensor ??= await open();
        return sensor.read(signal);
      },
      // Control parameters appear once a retry has opened the sensor.
      get parameters() {
        return sensor?.parameters;
      },
      async write(name, value, signal) {
        if (!sensor?.write) throw new Error(`${s.id} is not open`);
        return sensor.write(name, value, signal);
      },
      async close() {
        await sensor?.close();
      },
      diagnose: () => sensor?.diagnose?.(),
    };
  }
}
