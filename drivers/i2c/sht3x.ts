// Sensirion SHT3x (SHT30/31/35) temperature and humidity sensor on I2C. Datasheet: "Datasheet
// SHT3x-DIS" v6 (Sensirion, 2019). Single shot, high repeatability, clock stretching disabled
// (command 0x2400, §4.3) — the Pi's I2C controller mishandles clock stretching. The
// measurement takes at most 15.5 ms (§2.2, high repeatability); reading earlier is NACKed.
// Response (§4.4): T MSB, T LSB, CRC, RH MSB, RH LSB, CRC. Conversion (§4.13): T = -45 + 175·S/65535,
// RH = 100·S/65535.
import { z } from "zod";
import type { I2cDevice } from "../bus/types.js";
import type { DriverContext, DriverDefinition, Field, Sensor } from "../types.js";
import { checkedWord } from "./sensirion-crc.js";
import { dewPointField } from "../dew-point.js";
import { chipLabel, i2cAddressOneOf, i2cBusSchema, withContext } from "./common.js";

/** Single shot, high repeatability, no clock stretching (§4.3). */
export const SHT3X_MEASURE_HIGH = Buffer.from([0x24, 0x00]);
/** t_MEAS,h max is 15.5 ms (§2.2); wait a little more. */
export const SHT3X_MEASURE_MS = 16;

const decimalsSchema = z.number().int().min(0).max(6);

/** Driver-specific keys shared by the Sensirion SHTxx drivers. */
export function shtConfigSchema<A extends readonly [number, ...number[]]>(addresses: A) {
  return z
    .object({
      bus: i2cBusSchema,
      /** 7-bit address (set by the ADDR pin or the part number). */
      address: i2cAddressOneOf(addresses),
      /** Decimals written per field (defaults: temperature 2, humidity 1). */
      decimals: z
        .object({ temperature: decimalsSchema.optional(), humidity: decimalsSchema.optional() })
        .strict()
        .default({}),
    })
    .strict();
}

export const sht3xConfigSchema = shtConfigSchema([0x44, 0x45] as const);
export type ShtConfig = z.infer<typeof sht3xConfigSchema>;

export const SHT_FIELDS = [
  { name: "temperature", type: "numeric" as const, unit: "°C" as const },
  { name: "humidity", type: "numeric" as const, unit: "%" as const },
  { name: "dew_point", type: "numeric" as const, unit: "°C" as const },
];

/** SHT3x raw → °C (§4.13). */
export function sht3xTemperature(raw: number): number {
  return -45 + (175 * raw) / 65535;
}
/** SHT3x raw → %RH (§4.13). */
export function sht3xHumidity(raw: number): number {
  return (100 * raw) / 65535;
}

export interface ShtChip {
  name: string;
  command: Buffer;
  waitMs: number;
  temperature(raw: number): number;
  humidity(raw: number): number;
}

/** Decode a 6-byte T+CRC RH+CRC response; throws on a CRC mismatch or short response. */
export function decodeShtResponse(
  response: Buffer,
  chip: Pick<ShtChip, "temperature" | "humidity">,
): { temperature: number; humidity: number } {
  const t = checkedWord(response, 0, "temperature");
  const rh = checkedWord(response, 3, "humidity");
  return { temperature: chip.temperature(t), humidity: chip.humidity(rh) };
}

/** Open an SHTxx: one command, a wait, a 6-byte read per measurement. */
export async function openSht(chip: ShtChip, config: ShtConfig, ctx: DriverContext): Promise<Sensor> {
  const where = chipLabel(chip.name, config);
  const device: I2cDevice = ctx.bus.i2c({ bus: config.bus, address: config.address }, ctx.log);
  const tDecimals = config.decimals.temperature ?? 2;
  const hDecimals = config.decimals.humidity ?? 1;
  return {
    async read(signal): Promise<Field[]> {
      let response: Buffer;
      try {
        response = await device.transaction(async (raw) => {
          await raw.i2cWrite(chip.command);
          await raw.sleep(chip.waitMs, signal);
          return raw.i2cRead(6);
        }, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        throw withContext(err, where);
      }
      let values: { temperature: number; humidity: number };
      try {
        values = decodeShtResponse(response, chip);
      } catch (err) {
        throw withContext(err, where);
      }
      const timestamp = new Date();
      return [
        { type: "numeric", name: "temperature", value: values.temperature, unit: "°C", decimals: tDecimals, timestamp },
        { type: "numeric", name: "humidity", value: values.humidity, unit: "%", decimals: hDecimals, timestamp },
        ...dewPointField(values.temperature, values.humidity, tDecimals, timestamp),
      ];
    },
    close: () => device.close(),
    model: chip.name,
  };
}

export const SHT3X: ShtChip = {
  name: "sht3x",
  command: SHT3X_MEASURE_HIGH,
  waitMs: SHT3X_MEASURE_MS,
  temperature: sht3xTemperature,
  humidity: sht3xHumidity,
};

export const sht3x: DriverDefinition<ShtConfig> = {
  name: "sht3x",
  bus: "i2c",
  description: "Sensirion SHT3x (SHT30/31/35) temperature and relative humidity sensor on I2C (0x44/0x45)",
  configSchema: sht3xConfigSchema,
  example: { bus: 1, address: 0x45 },
  describeFields: () => SHT_FIELDS,
  open: (config, ctx) => openSht(SHT3X, config, ctx),
};
