// TI ADS1115 16-bit delta-sigma ADC on I2C (0x48-0x4B: ADDR to GND, VDD, SDA, SCL).
// Datasheet: "ADS111x Ultra-Small, Low-Power, I2C-Compatible, 860-SPS, 16-Bit ADCs" (TI SBAS444,
// rev. D): §9.6 Register Map. §9.6.1 Address Pointer Register:
// 0x00 Conversion, 0x01 Config. §9.6.3 Config register bits: [15] OS (write 1: start a single
// conversion; read 0: converting, 1: idle), [14:12] MUX, [11:9] PGA, [8] MODE (1 = single-shot),
// [7:5] DR, [4:0] comparator (0b00011 = disabled, the reset value). §9.6.2 Conversion register:
// two's complement, MSB first. §9.3.3: an LSB is FSR / 2^15.
import { z } from "zod";
import { hex } from "../hex.js";
import { UNITS, type DriverDefinition, type Field, type Sensor } from "../types.js";
import { i2cAddressRange, i2cBusSchema } from "./common.js";

export const ADS1115_REG_CONVERSION = 0x00;
export const ADS1115_REG_CONFIG = 0x01;

export const ADS1115_OS = 0x8000; // [15] start single conversion / idle
export const ADS1115_MODE_SINGLE = 0x0100; // [8]
export const ADS1115_COMP_DISABLE = 0x0003; // [1:0] COMP_QUE = 11

/** [14:12] MUX: AINp-AINn (differential) or AINx against GND (single-ended). */
export const ADS1115_MUX = {
  "AIN0-AIN1": 0b000,
  "AIN0-AIN3": 0b001,
  "AIN1-AIN3": 0b010,
  "AIN2-AIN3": 0b011,
  AIN0: 0b100,
  AIN1: 0b101,
  AIN2: 0b110,
  AIN3: 0b111,
} as const;
export type Ads1115Channel = keyof typeof ADS1115_MUX;

/** [11:9] PGA by full-scale range in volts (±FS). */
export const ADS1115_PGA = { 6.144: 0b000, 4.096: 0b001, 2.048: 0b010, 1.024: 0b011, 0.512: 0b100, 0.256: 0b101 } as const;
export const ADS1115_GAINS = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256] as const;
export type Ads1115Gain = (typeof ADS1115_GAINS)[number];

/** [7:5] DR by samples per second. */
export const ADS1115_RATES = [8, 16, 32, 64, 128, 250, 475, 860] as const;
export type Ads1115Rate = (typeof ADS1115_RATES)[number];

/** The config word that starts one single-shot conversion. */
export function encodeConfig(channel: Ads1115Channel, gain: Ads1115Gain, rate: Ads1115Rate): number {
  const pga = ADS1115_PGA[gain];
  const dr = ADS1115_RATES.indexOf(rate);
  return ADS1115_OS | (ADS1115_MUX[channel] << 12) | (pga << 9) | ADS1115_MODE_SINGLE | (dr << 5) | ADS1115_COMP_DISABLE;
}

/** Conversion register (2 bytes, MSB first, two's complement) to volts: raw × FS / 32768. */
export function decodeVoltage(data: Buffer, gain: Ads1115Gain): number {
  if (data.length < 2) throw new Error(`ads1115: expected 2 bytes, got ${data.length}`);
  return (data.readInt16BE(0) * gain) / 32768;
}

/** Decimals that show one LSB (FS/32768): 4 at ±6.144 V (187.5 µV) … 6 at ±0.256 V (7.8 µV). */
export function voltageDecimals(gain: Ads1115Gain): number {
  return Math.ceil(-Math.log10(gain / 32768));
}

/** Worst-case conversion time: 1/DR plus the datasheet's ±10 % oscillator tolerance and 1 ms. */
export function conversionWaitMs(rate: Ads1115Rate): number {
  return Math.ceil((1000 / rate) * 1.1) + 1;
}

/** Linear map of volts to a quantity: from [v0, v1] to [y0, y1] (extrapolates outside). */
export function mapLinear(v: number, from: readonly [number, number], to: readonly [number, number]): number {
  const [v0, v1] = from;
  const [y0, y1] = to;
  return y0 + ((v - v0) * (y1 - y0)) / (v1 - v0);
}

const channelSchema = z.union([
  z
    .number()
    .int()
    .min(0)
    .max(3)
    .transform((n) => `AIN${n}` as Ads1115Channel),
  z.enum(Object.keys(ADS1115_MUX) as [Ads1115Channel, ...Ads1115Channel[]]),
]);

const mapSchema = z
  .object({
    name: z.string().min(1, "expected a field name"),
    unit: z.enum(UNITS, { error: () => `expected a unit symbol, one of: ${UNITS.filter(Boolean).join(" ")}` }),
    from: z.tuple([z.number(), z.number()]),
    to: z.tuple([z.number(), z.number()]),
    decimals: z.number().int().min(0).max(10).default(2),
  })
  .strict()
  .refine((m) => m.from[0] !== m.from[1], { message: "expected two different voltages in from", path: ["from"] });

export const ads1115ConfigSchema = z
  .object({
    bus: i2cBusSchema,
    /** 0x48-0x4B, set by wiring ADDR to GND, VDD, SDA or SCL. */
    address: i2cAddressRange(0x48, 0x4b).default(0x48),
    /** 0-3 or "AIN0".."AIN3" (single-ended), or "AIN0-AIN1", "AIN0-AIN3", "AIN1-AIN3", "AIN2-AIN3". */
    channel: channelSchema.default("AIN0"),
    /** Full-scale range ±V (PGA). Never apply more than VDD + 0.3 V to an input, whatever the range. */
    gain: z
      .literal(ADS1115_GAINS, { error: () => `expected a full-scale range in volts, one of: ${ADS1115_GAINS.join(" ")}` })
      .default(2.048),
    /** Samples per second; slower is less noisy. */
    rate: z
      .literal(ADS1115_RATES, { error: () => `expected a data rate in samples/s, one of: ${ADS1115_RATES.join(" ")}` })
      .default(128),
    map: mapSchema.optional(),
  })
  .strict();

export type Ads1115Config = z.infer<typeof ads1115ConfigSchema>;

export const ads1115: DriverDefinition<Ads1115Config> = {
  name: "ads1115",
  bus: "i2c",
  description: "TI ADS1115 16-bit ADC on I2C: one single-shot conversion per read, optional linear map to a unit",
  configSchema: ads1115ConfigSchema,
  example: {
    address: 0x48,
    channel: 0,
    gain: 4.096,
    rate: 128,
    map: { name: "soil_moisture", unit: "%", from: [2.8, 1.2], to: [0, 100], decimals: 0 },
  },
  describeFields: (config) => [
    { name: "voltage", type: "numeric", unit: "V" },
    ...(config.map ? [{ name: config.map.name, type: "numeric" as const, unit: config.map.unit }] : []),
  ],
  async open(config, ctx): Promise<Sensor> {
    const device = ctx.bus.i2c({ bus: config.bus, address: config.address }, ctx.log);
    const { gain, rate } = config;
    const word = encodeConfig(config.channel, gain, rate);
    const waitMs = conversionWaitMs(rate);
    return {
      async read(signal): Promise<Field[]> {
        const data = await device.transaction(async (raw) => {
          // §9.6.3: writing OS=1 in single-shot mode starts one conversion.
          await raw.writeBlock(ADS1115_REG_CONFIG, Buffer.from([word >> 8, word & 0xff]));
          await raw.sleep(waitMs, signal);
          // Then poll OS (reads 1 once idle) for up to another conversion time.
          for (let polls = 0; ; polls++) {
            const cfg = await raw.readBlock(ADS1115_REG_CONFIG, 2);
            if (cfg.readUInt16BE(0) & ADS1115_OS) break;
            if (polls >= waitMs) throw new Error(`ads1115 ${hex(config.address)}: conversion not done after ${2 * waitMs} ms`);
            await raw.sleep(1, signal);
          }
          return raw.readBlock(ADS1115_REG_CONVERSION, 2);
        }, signal);
        const timestamp = new Date();
        const volts = decodeVoltage(data, gain);
        const fields: Field[] = [{ type: "numeric", name: "voltage", value: volts, unit: "V", decimals: voltageDecimals(gain), timestamp }];
        if (config.map) {
          const m = config.map;
          fields.push({ type: "numeric", name: m.name, value: mapLinear(volts, m.from, m.to), unit: m.unit, decimals: m.decimals, timestamp });
        }
        return fields;
      },
      close: () => device.close(),
    };
  },
};
