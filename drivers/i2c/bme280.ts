// Bosch BME280 (temperature, pressure, humidity) and BMP280 (temperature, pressure) on I2C.
// Datasheets: "BME280 Combined humidity and pressure sensor" BST-BME280-DS002 rev 1.23 and
// "BMP280 Digital Pressure Sensor" BST-BMP280-DS001 rev 1.26 (Bosch Sensortec). Register map:
// BME280 §5.3 table 18. We use forced mode (§3.3.3): one conversion per read, sleep in between,
// which suits slow polling (§3.5.1 "weather monitoring"). Compensation: the double-precision
// formulas of BME280 §8.1 (BMP280 §8.1), which match the integer ones to their resolution.
import { z } from "zod";
import type { I2cDevice, I2cRaw } from "../bus/types.js";
import type { DriverContext, DriverDefinition, Field, Sensor } from "../types.js";
import { dewPointField } from "../dew-point.js";
import { hex } from "../hex.js";
import { chipLabel, i2cAddressOneOf, i2cBusSchema, withContext } from "./common.js";

// Registers (BME280 §5.3 table 18 / §5.4).
export const REG_CALIB_00 = 0x88; // 0x88..0xA1: calib00..calib25 (T, P, then H1 at 0xA1)
export const CALIB_00_LENGTH = 26;
export const REG_CALIB_26 = 0xe1; // 0xE1..0xE7: H2..H6 (BME280 only; calib26..calib41 span 0xE1..0xF0)
export const CALIB_26_LENGTH = 7;
export const REG_CHIP_ID = 0xd0; // §5.4.1
export const REG_RESET = 0xe0; // §5.4.2: write 0xB6 for a power-on reset
export const RESET_WORD = 0xb6;
export const REG_CTRL_HUM = 0xf2; // §5.4.3: osrs_h[2:0]; effective after the next ctrl_meas write
export const REG_STATUS = 0xf3; // §5.4.4: bit 3 measuring, bit 0 im_update
export const REG_CTRL_MEAS = 0xf4; // §5.4.5: osrs_t[7:5] osrs_p[4:2] mode[1:0]
export const REG_DATA = 0xf7; // §5.4.7-5.4.9: press 0xF7..0xF9, temp 0xFA..0xFC, hum 0xFD..0xFE
export const STATUS_MEASURING = 0x08;
export const STATUS_IM_UPDATE = 0x01;
export const MODE_FORCED = 0b01;
export const CHIP_ID_BME280 = 0x60;
export const CHIP_ID_BMP280 = 0x58;
/** Value of a skipped (or not yet converted) 20-bit measurement after reset (§5.4.7). */
export const ADC_SKIPPED_20 = 0x80000;
export const ADC_SKIPPED_16 = 0x8000;

/** Oversampling factor → osrs_x register code (§5.4.3 table 20, §5.4.5 tables 23/24). */
export const OVERSAMPLING_CODES = { 1: 0b001, 2: 0b010, 4: 0b011, 8: 0b100, 16: 0b101 } as const;
export type Oversampling = keyof typeof OVERSAMPLING_CODES;

export interface Bme280Calibration {
  dig_T1: number; dig_T2: number; dig_T3: number;
  dig_P1: number; dig_P2: number; dig_P3: number; dig_P4: number; dig_P5: number;
  dig_P6: number; dig_P7: number; dig_P8: number; dig_P9: number;
  /** Humidity trimming (BME280 only; undefined for a BMP280). */
  humidity?: { dig_H1: number; dig_H2: number; dig_H3: number; dig_H4: number; dig_H5: number; dig_H6: number };
}

/** Sign-extend a 12-bit value. */
function signed12(v: number): number {
  return v & 0x800 ? v - 0x1000 : v;
}

/**
 * Decode the trimming parameters (BME280 §4.2.2 table 16). `block1` is 0x88..0xA1 (26 bytes,
 * little-endian words; dig_H1 is 0xA1), `block2` 0xE1..0xE7 (7 bytes) or undefined for a BMP280.
 * dig_H4 = 0xE4[7:0]<<4 | 0xE5[3:0] and dig_H5 = 0xE6[7:0]<<4 | 0xE5[7:4], both signed 12-bit.
 */
export function parseCalibration(block1: Buffer, block2?: Buffer): Bme280Calibration {
  if (block1.length < CALIB_00_LENGTH) throw new Error(`calibration 0x88..0xA1: expected 26 bytes, got ${block1.length}`);
  const c: Bme280Calibration = {
    dig_T1: block1.readUInt16LE(0), dig_T2: block1.readInt16LE(2), dig_T3: block1.readInt16LE(4),
    dig_P1: block1.readUInt16LE(6), dig_P2: block1.readInt16LE(8), dig_P3: block1.readInt16LE(10),
    dig_P4: block1.readInt16LE(12), dig_P5: block1.readInt16LE(14), dig_P6: block1.readInt16LE(16),
    dig_P7: block1.readInt16LE(18), dig_P8: block1.readInt16LE(20), dig_P9: block1.readInt16LE(22),
  };
  if (block2) {
    if (block2.length < CALIB_26_LENGTH) throw new Error(`calibration 0xE1..0xE7: expected 7 bytes, got ${block2.length}`);
    const e4 = block2[3]!, e5 = block2[4]!, e6 = block2[5]!;
    c.humidity = {
      dig_H1: block1[25]!, // 0xA1, unsigned char
      dig_H2: block2.readInt16LE(0), // 0xE1/0xE2
      dig_H3: block2[2]!, // 0xE3, unsigned char
      dig_H4: signed12((e4 << 4) | (e5 & 0x0f)),
      dig_H5: signed12((e6 << 4) | (e5 >> 4)),
      dig_H6: block2.readInt8(6), // 0xE7, signed char
    };
  }
  if (c.dig_T1 === 0 || c.dig_P1 === 0) throw new Error("calibration data is blank (dig_T1/dig_P1 = 0): not a Bosch BMx280?");
  return c;
}

/** Temperature (§8.1 bme280_compensate_T_double): °C and t_fine for the other two. */
export function compensateTemperature(adcT: number, c: Bme280Calibration): { temperature: number; tFine: number } {
  const var1 = (adcT / 16384.0 - c.dig_T1 / 1024.0) * c.dig_T2;
  const d = adcT / 131072.0 - c.dig_T1 / 8192.0;
  const var2 = d * d * c.dig_T3;
  const tFine = var1 + var2;
  return { temperature: tFine / 5120.0, tFine };
}

/** Pressure in Pa (§8.1 bme280_compensate_P_double). */
export function compensatePressure(adcP: number, tFine: number, c: Bme280Calibration): number {
  let var1 = tFine / 2.0 - 64000.0;
  let var2 = (var1 * var1 * c.dig_P6) / 32768.0;
  var2 = var2 + var1 * c.dig_P5 * 2.0;
  var2 = var2 / 4.0 + c.dig_P4 * 65536.0;
  var1 = ((c.dig_P3 * var1 * var1) / 524288.0 + c.dig_P2 * var1) / 524288.0;
  var1 = (1.0 + var1 / 32768.0) * c.dig_P1;
  if (var1 === 0) throw new Error("pressure compensation: division by zero (bad calibration)");
  let p = 1048576.0 - adcP;
  p = ((p - var2 / 4096.0) * 6250.0) / var1;
  var1 = (c.dig_P9 * p * p) / 2147483648.0;
  var2 = (p * c.dig_P8) / 32768.0;
  return p + (var1 + var2 + c.dig_P7) / 16.0;
}

/** Relative humidity in % (§8.1 bme280_compensate_H_double), clamped to 0..100. */
export function compensateHumidity(adcH: number, tFine: number, h: NonNullable<Bme280Calibration["humidity"]>): number {
  let v = tFine - 76800.0;
  v =
    (adcH - (h.dig_H4 * 64.0 + (h.dig_H5 / 16384.0) * v)) *
    ((h.dig_H2 / 65536.0) * (1.0 + (h.dig_H6 / 67108864.0) * v * (1.0 + (h.dig_H3 / 67108864.0) * v)));
  v = v * (1.0 - (h.dig_H1 * v) / 524288.0);
  return Math.min(100, Math.max(0, v));
}

/** Raw ADC values from the 0xF7.. burst (§4: 20-bit press/temp, msb/lsb/xlsb[7:4]; 16-bit hum). */
export function parseAdc(data: Buffer): { adcP: number; adcT: number; adcH?: number } {
  const adcP = (data[0]! << 12) | (data[1]! << 4) | (data[2]! >> 4);
  const adcT = (data[3]! << 12) | (data[4]! << 4) | (data[5]! >> 4);
  return data.length >= 8 ? { adcP, adcT, adcH: (data[6]! << 8) | data[7]! } : { adcP, adcT };
}

/**
 * Maximum measurement time in ms (BME280 §9.1 / Appendix B, t_measure,max):
 * 1.25 + 2.3·osrs_t + (2.3·osrs_p + 0.575) + (2.3·osrs_h + 0.575) (the humidity term is BME280 only).
 */
export function maxMeasurementMs(osT: number, osP: number, osH?: number): number {
  return 1.25 + 2.3 * osT + (2.3 * osP + 0.575) + (osH === undefined ? 0 : 2.3 * osH + 0.575);
}

const oversamplingSchema = z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8), z.literal(16)], {
  error: () => "expected an oversampling factor: 1, 2, 4, 8 or 16",
});
const decimalsSchema = z.number().int().min(0).max(6);

function configSchema(withHumidity: boolean) {
  return z
    .object({
      bus: i2cBusSchema,
      /** 0x76 (SDO to GND) or 0x77 (SDO to VDDIO) (§6.2). */
      address: i2cAddressOneOf([0x76, 0x77]),
      /** Oversampling factor, for all measurements or per quantity (§3.4). 1 = no oversampling. */
      oversampling: z
        .union([
          oversamplingSchema,
          z
            .object({
              temperature: oversamplingSchema.default(1),
              pressure: oversamplingSchema.default(1),
              ...(withHumidity ? { humidity: oversamplingSchema.default(1) } : {}),
            })
            .strict(),
        ])
        .default(1),
      /** Write 0xB6 to reset (0xE0) at open, before reading the calibration (§5.4.2). */
      soft_reset: z.boolean().default(false),
      /** Decimals written per field (defaults: temperature 2, pressure 2, humidity 1). */
      decimals: z
        .object({
          temperature: decimalsSchema.optional(),
          pressure: decimalsSchema.optional(),
          ...(withHumidity ? { humidity: decimalsSchema.optional() } : {}),
        })
        .strict()
        .default({}),
    })
    .strict();
}

export const bme280ConfigSchema = configSchema(true);
export const bmp280ConfigSchema = configSchema(false);

export interface Bmx280Config {
  bus: number;
  address: number;
  oversampling: Oversampling | { temperature: Oversampling; pressure: Oversampling; humidity?: Oversampling };
  soft_reset: boolean;
  decimals: { temperature?: number | undefined; pressure?: number | undefined; humidity?: number | undefined };
}

interface Variant {
  name: "bme280" | "bmp280";
  chipId: number;
  humidity: boolean;
}
const BME280: Variant = { name: "bme280", chipId: CHIP_ID_BME280, humidity: true };
const BMP280: Variant = { name: "bmp280", chipId: CHIP_ID_BMP280, humidity: false };

function describeChipId(id: number): string {
  if (id === CHIP_ID_BME280) return "a BME280";
  if (id === CHIP_ID_BMP280) return "a BMP280";
  if (id >= 0x56 && id <= 0x57) return "a BMP280 engineering sample";
  if (id === 0x55) return "a BMP180/BMP085";
  if (id === 0x61) return "a BME680/BME688";
  return "not a Bosch BMx280";
}

/** Status polls after the computed maximum time before giving up. */
const STATUS_POLLS = 10;
const STATUS_POLL_MS = 2;

async function openBmx280(v: Variant, config: Bmx280Config, ctx: DriverContext): Promise<Sensor> {
  const where = chipLabel(v.name, config);
  const os =
    typeof config.oversampling === "number"
      ? { temperature: config.oversampling, pressure: config.oversampling, humidity: config.oversampling }
      : { ...config.oversampling, humidity: config.oversampling.humidity ?? 1 };
  const ctrlHum = OVERSAMPLING_CODES[os.humidity];
  const ctrlMeas = (OVERSAMPLING_CODES[os.temperature] << 5) | (OVERSAMPLING_CODES[os.pressure] << 2) | MODE_FORCED;
  const waitMs = Math.ceil(maxMeasurementMs(os.temperature, os.pressure, v.humidity ? os.humidity : undefined));
  const decimals = {
    temperature: config.decimals.temperature ?? 2,
    pressure: config.decimals.pressure ?? 2,
    humidity: config.decimals.humidity ?? 1,
  };

  const device: I2cDevice = ctx.bus.i2c({ bus: config.bus, address: config.address }, ctx.log);
  let calibration: Bme280Calibration;
  try {
    calibration = await device.transaction(async (raw) => {
      const id = await raw.readByte(REG_CHIP_ID);
      if (id !== v.chipId) {
        const hint = id === CHIP_ID_BME280 ? " (use driver bme280)" : id === CHIP_ID_BMP280 ? " (use driver bmp280)" : "";
        throw new Error(`chip id register 0xD0 reads ${hex(id)} (${describeChipId(id)}), expected ${hex(v.chipId)} for a ${v.name.toUpperCase()}${hint}`);
      }
      if (config.soft_reset) await softReset(raw);
      // Calibration is read once (§4.2.2); it never changes.
      const block1 = await raw.readBlock(REG_CALIB_00, CALIB_00_LENGTH);
      const block2 = v.humidity ? await raw.readBlock(REG_CALIB_26, CALIB_26_LENGTH) : undefined;
      return parseCalibration(block1, block2);
    });
  } catch (err) {
    await device.close().catch(() => {});
    throw withContext(err, where);
  }
  ctx.log.debug({ calibration }, `${where}: calibration read`);

  return {
    async read(signal): Promise<Field[]> {
      let data: Buffer;
      try {
        data = await device.transaction(async (raw) => {
          // ctrl_hum only takes effect after a ctrl_meas write (§5.4.3): write it first.
          if (v.humidity) await raw.writeByte(REG_CTRL_HUM, ctrlHum);
          await raw.writeByte(REG_CTRL_MEAS, ctrlMeas); // forced mode: one conversion (§3.3.3)
          await raw.sleep(waitMs, signal);
          for (let poll = 0; ; poll++) {
            const status = await raw.readByte(REG_STATUS);
            if (!(status & STATUS_MEASURING)) break;
            if (poll >= STATUS_POLLS) throw new Error(`still measuring (status 0xF3 = ${hex(status)}) after ${waitMs + poll * STATUS_POLL_MS} ms`);
            await raw.sleep(STATUS_POLL_MS, signal);
          }
          // Burst read (§4, "data readout ... burst read from 0xF7 to 0xFC/0xFE") keeps the
          // values of one conversion together (shadowing, §3.9).
          return raw.readBlock(REG_DATA, v.humidity ? 8 : 6);
        }, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        throw withContext(err, where);
      }
      const adc = parseAdc(data);
      if (adc.adcT === ADC_SKIPPED_20 || adc.adcP === ADC_SKIPPED_20 || adc.adcH === ADC_SKIPPED_16) {
        throw new Error(`${where}: data registers hold the reset value (no conversion happened)`);
      }
      const { temperature, tFine } = compensateTemperature(adc.adcT, calibration);
      const pressure = compensatePressure(adc.adcP, tFine, calibration) / 100; // Pa → hPa
      const timestamp = new Date();
      const fields: Field[] = [
        { type: "numeric", name: "temperature", value: temperature, unit: "°C", decimals: decimals.temperature, timestamp },
        { type: "numeric", name: "pressure", value: pressure, unit: "hPa", decimals: decimals.pressure, timestamp },
      ];
      if (v.humidity && calibration.humidity && adc.adcH !== undefined) {
        const humidity = compensateHumidity(adc.adcH, tFine, calibration.humidity);
        fields.push({ type: "numeric", name: "humidity", value: humidity, unit: "%", decimals: decimals.humidity, timestamp });
        fields.push(...dewPointField(temperature, humidity, decimals.temperature, timestamp));
      }
      return fields;
    },
    close: () => device.close(),
    model: v.name,
  };
}

/** Soft reset (§5.4.2), then wait for the NVM copy to finish (status im_update, §5.4.4). */
async function softReset(raw: I2cRaw): Promise<void> {
  await raw.writeByte(REG_RESET, RESET_WORD);
  await raw.sleep(2); // start-up time t_startup max 2 ms (§1 table 1)
  for (let poll = 0; poll < 10; poll++) {
    if (!((await raw.readByte(REG_STATUS)) & STATUS_IM_UPDATE)) return;
    await raw.sleep(1);
  }
  throw new Error("soft reset: im_update (status 0xF3 bit 0) did not clear");
}

const TP_FIELDS = [
  { name: "temperature", type: "numeric" as const, unit: "°C" as const },
  { name: "pressure", type: "numeric" as const, unit: "hPa" as const },
];

export const bme280: DriverDefinition<Bmx280Config> = {
  name: "bme280",
  bus: "i2c",
  description: "Bosch BME280 temperature, pressure and relative humidity sensor on I2C (0x76/0x77), forced mode",
  configSchema: bme280ConfigSchema as z.ZodType<Bmx280Config>,
  example: { bus: 1, address: 0x76, oversampling: 1 },
  describeFields: () => [
    ...TP_FIELDS,
    { name: "humidity", type: "numeric" as const, unit: "%" as const },
    { name: "dew_point", type: "numeric" as const, unit: "°C" as const },
  ],
  open: (config, ctx) => openBmx280(BME280, config, ctx),
};

export const bmp280: DriverDefinition<Bmx280Config> = {
  name: "bmp280",
  bus: "i2c",
  description: "Bosch BMP280 temperature and pressure sensor on I2C (0x76/0x77), forced mode",
  configSchema: bmp280ConfigSchema as z.ZodType<Bmx280Config>,
  example: { bus: 1, address: 0x77 },
  describeFields: () => TP_FIELDS,
  open: (config, ctx) => openBmx280(BMP280, config, ctx),
};
