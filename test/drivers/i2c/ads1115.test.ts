import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { openI2cDevice } from "../../../drivers/bus/i2c-device.js";
import {
  ads1115,
  ads1115ConfigSchema,
  conversionWaitMs,
  decodeVoltage,
  encodeConfig,
  mapLinear,
  voltageDecimals,
} from "../../../drivers/i2c/ads1115.js";
import type { Field } from "../../../drivers/types.js";
import { Ads1115Emulator } from "../../fakes/chips/ads1115.js";
import { FakeI2cBus } from "../../fakes/i2c-bus.js";
import { fakeI2cBusFactory } from "../../helpers/i2c-rig.js";

const log = pino({ level: "silent" });

function setup(now?: () => number) {
  const fake = new FakeI2cBus(1);
  const chip = new Ads1115Emulator(now);
  fake.attach(0x48, chip);
  const bus = fakeI2cBusFactory(fake);
  return { fake, chip, ctx: { bus, log, id: "adc" } };
}

function value(fields: Field[], name: string): number {
  const field = fields.find((f) => f.name === name);
  if (field?.type !== "numeric") throw new Error(`no numeric field ${name}`);
  return field.value;
}

describe("ads1115 pure functions", () => {
  it("encodes the config register (§9.6.3)", () => {
    // Reset value 0x8583 is AIN0-AIN1, ±2.048 V, single-shot, 128 SPS, comparator off.
    expect(encodeConfig("AIN0-AIN1", 2.048, 128)).toBe(0x8583);
    expect(encodeConfig("AIN0", 2.048, 128)).toBe(0xc583);
    expect(encodeConfig("AIN3", 6.144, 8)).toBe(0xf103);
    expect(encodeConfig("AIN2-AIN3", 0.256, 860)).toBe(0xbbe3);
  });

  it("decodes signed big-endian counts to volts (raw × FS / 32768)", () => {
    expect(decodeVoltage(Buffer.from([0x40, 0x00]), 4.096)).toBe(2.048);
    expect(decodeVoltage(Buffer.from([0x80, 0x00]), 4.096)).toBe(-4.096);
    expect(decodeVoltage(Buffer.from([0x7f, 0xff]), 0.256)).toBeCloseTo(0.2559921875, 10);
    expect(decodeVoltage(Buffer.from([0xff, 0xff]), 6.144)).toBeCloseTo(-0.0001875, 10);
    expect(voltageDecimals(6.144)).toBe(4);
    expect(voltageDecimals(0.256)).toBe(6);
    expect(conversionWaitMs(128)).toBe(10);
    expect(conversionWaitMs(8)).toBe(139);
    expect(mapLinear(1.65, [0, 3.3], [0, 100])).toBeCloseTo(50, 10);
    expect(mapLinear(2.0, [2.8, 1.2], [0, 100])).toBeCloseTo(50, 10);
  });
});

describe("ads1115 emulator timing", () => {
  it("holds the old conversion until 1/DR after the start; OS reads 0 meanwhile", async () => {
    let t = 0;
    const { fake, chip } = setup(() => t);
    const dev = openI2cDevice({ bus: 1, address: 0x48 }, log, { openBus: async () => fake });
    chip.inputs[0] = 1.024;
    const start = encodeConfig("AIN0", 2.048, 128);
    await dev.transaction(async (raw) => {
      await raw.writeBlock(0x01, Buffer.from([start >> 8, start & 0xff]));
      expect((await raw.readBlock(0x01, 2)).readUInt16BE(0) & 0x8000).toBe(0);
      expect(await raw.readBlock(0x00, 2)).toStrictEqual(Buffer.from([0, 0])); // too early: old value
      t = 7; // 1/128 s = 7.8125 ms
      expect(await raw.readBlock(0x00, 2)).toStrictEqual(Buffer.from([0, 0]));
      t = 7.9;
      expect((await raw.readBlock(0x01, 2)).readUInt16BE(0) & 0x8000).toBe(0x8000);
      expect((await raw.readBlock(0x00, 2)).readInt16BE(0)).toBe(16384);
    });
    await dev.close();
  });
});

describe("ads1115 driver", () => {
  it("reads a single-ended channel after the conversion time, with gain math and the linear map", async () => {
    const { chip, ctx } = setup();
    chip.inputs[1] = 1.5;
    const config = ads1115ConfigSchema.parse({ channel: 1, gain: 4.096, rate: 860, map: { name: "level", unit: "%", from: [0, 3], to: [0, 100] } });
    expect(ads1115.describeFields(config)).toStrictEqual([
      { name: "voltage", type: "numeric", unit: "V" },
      { name: "level", type: "numeric", unit: "%" },
    ]);
    const sensor = await ads1115.open(config, ctx);
    const fields = await sensor.read(AbortSignal.timeout(1000));
    expect(fields[0]).toMatchObject({ name: "voltage", unit: "V", decimals: 4 }) // 125 µV per count;
    expect(value(fields, "voltage")).toBe((12000 * 4.096) / 32768); // 1.5 V = 12000 counts
    expect(value(fields, "level")).toBeCloseTo(50, 10);
    expect(fields[1]).toMatchObject({ unit: "%", decimals: 2 });
    chip.inputs[1] = 0.75;
    expect(value(await sensor.read(AbortSignal.timeout(1000)), "voltage")).toBe(0.75);
    expect(chip.started).toBe(2);
    await sensor.close();
  });

  it("waits the full conversion time at a slow data rate (never returns the previous value)", async () => {
    const { chip, ctx } = setup();
    chip.conversion = 1234; // a stale result from an earlier conversion
    chip.inputs[0] = 0.5;
    const sensor = await ads1115.open(ads1115ConfigSchema.parse({ rate: 8, gain: 1.024 }), ctx);
    const t0 = performance.now();
    const fields = await sensor.read(AbortSignal.timeout(2000));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(125);
    expect(value(fields, "voltage")).toBe(0.5);
  });

  it("measures differential inputs and clips at full scale", async () => {
    const { chip, ctx } = setup();
    chip.inputs[0] = 1.0;
    chip.inputs[1] = 1.25;
    const diff = await ads1115.open(ads1115ConfigSchema.parse({ channel: "AIN0-AIN1", gain: 0.512, rate: 860 }), ctx);
    expect(value(await diff.read(AbortSignal.timeout(1000)), "voltage")).toBe(-0.25);
    chip.inputs[3] = 3.0;
    const clipped = await ads1115.open(ads1115ConfigSchema.parse({ channel: 3, gain: 0.256, rate: 860 }), ctx);
    expect(value(await clipped.read(AbortSignal.timeout(1000)), "voltage")).toBeCloseTo(0.2559921875, 10);
  });

  it("fails when the conversion never finishes (OS stays 0)", async () => {
    const { ctx } = setup(() => 0); // frozen clock: never done
    const sensor = await ads1115.open(ads1115ConfigSchema.parse({ rate: 860 }), ctx);
    await expect(sensor.read(AbortSignal.timeout(1000))).rejects.toThrow(/conversion not done/);
  });

  it("validates gain, rate, channel, address and map", () => {
    const bad = [{ gain: 3 }, { rate: 100 }, { channel: 4 }, { channel: "AIN1-AIN0" }, { address: 0x47 }, { map: { name: "x", unit: "%", from: [1, 1], to: [0, 1] } }];
    for (const c of bad) expect(ads1115ConfigSchema.safeParse(c).success, JSON.stringify(c)).toBe(false);
    expect(ads1115ConfigSchema.parse({})).toMatchObject({ bus: 1, address: 0x48, channel: "AIN0", gain: 2.048, rate: 128 });
  });
});
