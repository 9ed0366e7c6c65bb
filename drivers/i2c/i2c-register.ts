// Generic I2C register reader: one register of 1, 2 or 4 bytes read with an SMBus "read I2C
// block" (write [register], repeated start, read n bytes), decoded big- or little-endian,
// signed or not, then value = raw × scale + offset. For chips without a dedicated driver.
import { z } from "zod";
import { UNITS, type DriverDefinition, type Field, type Sensor } from "../types.js";
import { i2cAddressRange, i2cBusSchema } from "./common.js";

export interface RegisterFormat {
  length: 1 | 2 | 4;
  endianness: "big" | "little";
  signed: boolean;
}

/** The raw integer in the first `length` bytes of `data`. */
export function decodeRegister(data: Buffer, format: RegisterFormat): number {
  const { length, endianness, signed } = format;
  if (data.length < length) throw new Error(`i2c-register: expected ${length} bytes, got ${data.length}`);
  const big = endianness === "big";
  switch (length) {
    case 1:
      return signed ? data.readInt8(0) : data.readUInt8(0);
    case 2:
      if (signed) return big ? data.readInt16BE(0) : data.readInt16LE(0);
      return big ? data.readUInt16BE(0) : data.readUInt16LE(0);
    case 4:
      if (signed) return big ? data.readInt32BE(0) : data.readInt32LE(0);
      return big ? data.readUInt32BE(0) : data.readUInt32LE(0);
  }
}

/** raw × scale + offset. */
export function scaleValue(raw: number, scale: number, offset: number): number {
  return raw * scale + offset;
}

export const i2cRegisterConfigSchema = z
  .object({
    bus: i2cBusSchema,
    /** 7-bit address; 0x03-0x77 (the rest is reserved by the I2C specification). */
    address: i2cAddressRange(0x03, 0x77, "a 7-bit address"),
    register: z.number().int().min(0).max(0xff),
    length: z.union([z.literal(1), z.literal(2), z.literal(4)]).default(2),
    endianness: z.enum(["big", "little"]).default("big"),
    signed: z.boolean().default(false),
    scale: z.number().default(1),
    offset: z.number().default(0),
    unit: z.enum(UNITS, { error: () => `expected a unit symbol, one of: ${UNITS.filter(Boolean).join(" ")}` }).default(""),
    /** Field name. */
    name: z.string().min(1, "expected a field name").default("value"),
    decimals: z.number().int().min(0).max(10).default(0),
  })
  .strict();

export type I2cRegisterConfig = z.infer<typeof i2cRegisterConfigSchema>;

export const i2cRegister: DriverDefinition<I2cRegisterConfig> = {
  name: "i2c-register",
  bus: "i2c",
  description: "Generic I2C register: reads 1/2/4 bytes, decodes endianness and sign, applies scale and offset",
  configSchema: i2cRegisterConfigSchema,
  example: { bus: 1, address: 0x18, register: 0x00, length: 2, signed: true, scale: 0.0078125, unit: "°C", name: "temperature", decimals: 2 },
  describeFields: (config) => [{ name: config.name, type: "numeric", unit: config.unit }],
  async open(config, ctx): Promise<Sensor> {
    const device = ctx.bus.i2c({ bus: config.bus, address: config.address }, ctx.log);
    return {
      async read(signal): Promise<Field[]> {
        const data = await device.transaction((raw) => raw.readBlock(config.register, config.length), signal);
        const value = scaleValue(decodeRegister(data, config), config.scale, config.offset);
        return [{ type: "numeric", name: config.name, value, unit: config.unit, decimals: config.decimals, timestamp: new Date() }];
      },
      close: () => device.close(),
    };
  },
};
