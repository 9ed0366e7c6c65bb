// ROHM BH1750FVI ambient light sensor on I2C (0x23 with ADDR low, 0x5C with ADDR high).
// Datasheet: "Digital 16bit Serial Output Type Ambient Light Sensor IC BH1750FVI" (ROHM,
// 2011.11 Rev.D): "Instruction Set Architecture" (opcodes, no registers), "Measurement mode
// explanation" (H-resolution 1 lx, 120 ms typ / 180 ms max), and "Measurement sequence
// example": Power On, One Time H-Resolution Mode, wait, read 2 bytes High then Low;
// lx = count / 1.2 at the default MTreg (69).
import { z } from "zod";
import type { I2cDevice } from "../bus/types.js";
import type { DriverDefinition, Field, Sensor } from "../types.js";
import { i2cAddressOneOf, i2cBusSchema } from "./common.js";

// "Instruction Set Architecture" opcodes.
export const BH1750_POWER_ON = 0x01;
export const BH1750_ONE_TIME_H_RES = 0x20; // 1 lx resolution, then powers down by itself
export const BH1750_ONE_TIME_H_RES2 = 0x21; // 0.5 lx resolution
export const BH1750_ONE_TIME_L_RES = 0x23; // 4 lx resolution

/** Opcode, worst-case measurement time (datasheet "Electrical Characteristics", max) and count divisor. */
export const BH1750_MODES = {
  high: { opcode: BH1750_ONE_TIME_H_RES, waitMs: 180, divisor: 1.2, decimals: 1 },
  high2: { opcode: BH1750_ONE_TIME_H_RES2, waitMs: 180, divisor: 2.4, decimals: 1 },
  low: { opcode: BH1750_ONE_TIME_L_RES, waitMs: 24, divisor: 1.2, decimals: 0 },
} as const;

export type Bh1750Mode = keyof typeof BH1750_MODES;

/** The 2-byte result (High byte first) in lx: count / 1.2 (H-res2: / 2.4, half the step). */
export function decodeIlluminance(data: Buffer, mode: Bh1750Mode = "high"): number {
  if (data.length < 2) throw new Error(`bh1750: expected 2 bytes, got ${data.length}`);
  return data.readUInt16BE(0) / BH1750_MODES[mode].divisor;
}

export const bh1750ConfigSchema = z
  .object({
    bus: i2cBusSchema,
    /** 0x23 (ADDR pin low/floating) or 0x5C (ADDR high). */
    address: i2cAddressOneOf([0x23, 0x5c]),
    mode: z.enum(["high", "high2", "low"]).default("high"),
  })
  .strict();

export type Bh1750Config = z.infer<typeof bh1750ConfigSchema>;

export const bh1750: DriverDefinition<Bh1750Config> = {
  name: "bh1750",
  bus: "i2c",
  description: "ROHM BH1750 ambient light sensor (illuminance in lx) on I2C, one-time measurement per read",
  configSchema: bh1750ConfigSchema,
  example: { bus: 1, address: 0x23 },
  describeFields: () => [{ name: "illuminance", type: "numeric", unit: "lx" }],
  async open(config, ctx): Promise<Sensor> {
    const device: I2cDevice = ctx.bus.i2c({ bus: config.bus, address: config.address }, ctx.log);
    const mode = BH1750_MODES[config.mode];
    return {
      async read(signal): Promise<Field[]> {
        const data = await device.transaction(async (raw) => {
          await raw.i2cWrite(Buffer.from([BH1750_POWER_ON]));
          await raw.i2cWrite(Buffer.from([mode.opcode]));
          await raw.sleep(mode.waitMs, signal);
          return raw.i2cRead(2);
        }, signal);
        const value = decodeIlluminance(data, config.mode);
        return [{ type: "numeric", name: "illuminance", value, unit: "lx", decimals: mode.decimals, timestamp: new Date() }];
      },
      close: () => device.close(),
    };
  },
};
