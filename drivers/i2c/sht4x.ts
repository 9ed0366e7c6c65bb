// Sensirion SHT4x (SHT40/41/45) temperature and humidity sensor on I2C. Datasheet: "Datasheet
// SHT4x" v6.6 (Sensirion, 2024). Command 0xFD = measure T & RH, high precision ("Command Overview"),
// max 8.3 ms ("Timing Specifications"); response as SHT3x: T(2)+CRC, RH(2)+CRC. Conversion
// ("Conversion of Signal Output"):
// T = -45 + 175·S/65535, RH = -6 + 125·S/65535, cropped to 0..100 %RH.
import type { z } from "zod";
import type { DriverDefinition } from "../types.js";
import { openSht, SHT_FIELDS, shtConfigSchema, sht3xTemperature, type ShtChip } from "./sht3x.js";

/** Measure T & RH with high precision ("Command Overview"). */
export const SHT4X_MEASURE_HIGH = Buffer.from([0xfd]);
/** Max 8.3 ms at high precision ("Timing Specifications"), rounded up. */
export const SHT4X_MEASURE_MS = 10;

/** 0x44 is SHT4x-A (the common part); 0x45 / 0x46 are the -B / -C variants ("I2C address"). */
export const sht4xConfigSchema = shtConfigSchema([0x44, 0x45, 0x46] as const);
export type Sht4xConfig = z.infer<typeof sht4xConfigSchema>;

/** SHT4x raw → %RH, cropped to the physical range as the datasheet advises. */
export function sht4xHumidity(raw: number): number {
  return Math.min(100, Math.max(0, -6 + (125 * raw) / 65535));
}

export const SHT4X: ShtChip = {
  name: "sht4x",
  command: SHT4X_MEASURE_HIGH,
  waitMs: SHT4X_MEASURE_MS,
  temperature: sht3xTemperature,
  humidity: sht4xHumidity,
};

export const sht4x: DriverDefinition<Sht4xConfig> = {
  name: "sht4x",
  bus: "i2c",
  description: "Sensirion SHT4x (SHT40/41/45) temperature and relative humidity sensor on I2C (0x44)",
  configSchema: sht4xConfigSchema,
  example: { bus: 1, address: 0x44 },
  describeFields: () => SHT_FIELDS,
  open: (config, ctx) => openSht(SHT4X, config, ctx),
};
