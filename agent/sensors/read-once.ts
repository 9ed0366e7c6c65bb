// `thingd read`: open every sensor, read each once under its timeout, close. No XMPP.
// Outputs (relays) are left alone unless asked: opening one drives it to `initial` and closing
// it to `safe_state`, which would switch off a relay its owner switched on.
import type { Logger } from "pino";
import { findDriver } from "../../drivers/registry.js";
import { createBusFactory } from "../../drivers/bus/index.js";
import type { BusFactory } from "../../drivers/bus/types.js";
import type { ThingConfig } from "../config/types.js";
import { openSensors } from "./open.js";
import { formatDateTime } from "../protocol/xsd.js";
import { fieldJsonValue } from "../protocol/field-value.js";

export interface LocalReading {
  sensor: string;
  driver: string;
  fields: Array<{ name: string; value: string | number | boolean; unit?: string; timestamp: string }>;
  error?: string;
  /** Not read: why (an output, without --outputs). */
  skipped?: string;
}

export const OUTPUT_SKIPPED = "an output, not touched (--outputs reads it)";

export interface ReadOnceOptions {
  /** Also open outputs (default false). */
  outputs?: boolean;
}

export async function readAllOnce(
  config: ThingConfig,
  log: Logger,
  bus: BusFactory = createBusFactory(),
  options: ReadOnceOptions = {},
): Promise<LocalReading[]> {
  const isOutput = (driver: string) => findDriver(driver)?.drivesOutputs === true;
  const wanted = config.sensors.filter((s) => options.outputs || !isOutput(s.driver));
  const pollers = await openSensors(wanted, bus, log);
  try {
    const read = await Promise.all(
      pollers.map(async (p): Promise<LocalReading> => {
        try {
          const r = await p.poll();
          return {
            sensor: p.id,
            driver: p.options.driver,
            fields: r.fields.map((f) => ({
              name: f.name,
              value: fieldJsonValue(f),
              ...(f.type === "numeric" ? { unit: f.unit } : {}),
              timestamp: formatDateTime(f.timestamp),
            })),
          };
        } catch (err) {
          return { sensor: p.id, driver: p.options.driver, fields: [], error: (err as Error).message };
        }
      }),
    );
    // In sensor-map order, skipped outputs in their place.
    return config.sensors.map(
      (s) => read.find((r) => r.sensor === s.id) ?? { sensor: s.id, driver: s.driver, fields: [], skipped: OUTPUT_SKIPPED },
    );
  } finally {
    await Promise.allSettled(pollers.map((p) => p.close()));
  }
}

/** A plain table: sensor, field, value, unit (or the error). */
export function formatReadings(readings: LocalReading[]): string {
  const rows: string[][] = [["SENSOR", "FIELD", "VALUE", "UNIT"]];
  for (const r of readings) {
    if (r.error) rows.push([r.sensor, "-", `ERROR: ${r.error}`, ""]);
    if (r.skipped) rows.push([r.sensor, "-", `skipped: ${r.skipped}`, ""]);
    for (const f of r.fields) rows.push([r.sensor, f.name, String(f.value), f.unit ?? ""]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}
