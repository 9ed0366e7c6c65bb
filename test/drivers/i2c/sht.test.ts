import { pino } from "pino";
import { describe, expect, it, onTestFinished } from "vitest";
import { checkedWord, sensirionCrc8 } from "../../../drivers/i2c/sensirion-crc.js";
import { decodeShtResponse, sht3x, SHT3X, sht3xHumidity, sht3xTemperature } from "../../../drivers/i2c/sht3x.js";
import { sht4x, SHT4X, sht4xHumidity } from "../../../drivers/i2c/sht4x.js";
import { FakeI2cBus } from "../../fakes/i2c-bus.js";
import { fakeI2cBusFactory, openOnFakeI2c } from "../../helpers/i2c-rig.js";
import { values } from "../../helpers/values.js";
import { ShtEmulator } from "../../fakes/chips/sht.js";

const silent = pino({ level: "silent" });





describe("Sensirion CRC-8", () => {
  it("gives the datasheet check value CRC(0xBE 0xEF) = 0x92 (SHT3x §4.12)", () => {
    expect(sensirionCrc8(Buffer.from([0xbe, 0xef]))).toBe(0x92);
  });

  it("checkedWord returns the word on a good CRC and names the field on a bad one", () => {
    expect(checkedWord(Buffer.from([0xbe, 0xef, 0x92]), 0, "temperature")).toBe(0xbeef);
    expect(() => checkedWord(Buffer.from([0xbe, 0xef, 0x93]), 0, "temperature")).toThrow(
      "CRC mismatch on temperature: got 0x93, expected 0x92",
    );
    expect(() => checkedWord(Buffer.from([0xbe, 0xef]), 0, "humidity")).toThrow(/short response/);
  });
});

describe("conversions", () => {
  it("SHT3x: T = -45 + 175·S/65535, RH = 100·S/65535 (§4.13)", () => {
    expect(sht3xTemperature(0)).toBe(-45);
    expect(sht3xTemperature(65535)).toBe(130);
    expect(sht3xTemperature(0x6666)).toBeCloseTo(25.0, 2);
    expect(sht3xHumidity(0x8000)).toBeCloseTo(50.0, 2);
  });

  it("SHT4x: RH = -6 + 125·S/65535, clamped to 0..100", () => {
    expect(sht4xHumidity(0)).toBe(0);
    expect(sht4xHumidity(65535)).toBe(100);
    expect(sht4xHumidity(0x8000)).toBeCloseTo(56.5, 1);
  });

  it("decodes a 6-byte response and rejects a corrupted humidity CRC", () => {
    const r = Buffer.from([0x66, 0x66, 0, 0x80, 0x00, 0]);
    r[2] = sensirionCrc8(r.subarray(0, 2));
    r[5] = sensirionCrc8(r.subarray(3, 5));
    expect(decodeShtResponse(r, SHT3X).temperature).toBeCloseTo(25, 2);
    expect(decodeShtResponse(r, SHT4X).humidity).toBeCloseTo(56.5, 1);
    r[5] ^= 1;
    expect(() => decodeShtResponse(r, SHT3X)).toThrow(/CRC mismatch on humidity/);
  });
});

describe("sht3x driver (through the bus layer)", () => {
  it("sends 0x2400, waits for the conversion and reports T/RH with 2/1 decimals", async () => {
    const chip = new ShtEmulator({ kind: "sht3x", rawT: 0x6666, rawRH: 0x8000, conversionMs: 12.5 });
    const { sensor } = await openOnFakeI2c(sht3x, chip);
    const fields = await sensor.read(new AbortController().signal);
    expect(chip.commands).toStrictEqual(["2400"]);
    expect(chip.earlyReads).toBe(0);
    expect(fields.map((f) => [f.name, f.type === "numeric" ? [f.unit, f.decimals] : null])).toStrictEqual([
      ["temperature", ["°C", 2]],
      ["humidity", ["%", 1]],
      ["dew_point", ["°C", 2]],
    ]);
    const v = values(fields);
    expect(v.temperature).toBeCloseTo(25.0, 2);
    expect(v.humidity).toBeCloseTo(50.0, 2);
    // Magnus (Sonntag 1990) at 25 °C / 50 %RH: 13.85 °C; only the computed field says so.
    expect(v.dew_point).toBeCloseTo(13.85, 1);
    expect(fields.map((f) => f.kind ?? "momentary")).toStrictEqual(["momentary", "momentary", "computed"]);
    expect(sensor.model).toBe("sht3x");
  });

  it("uses the configured address and decimals", async () => {
    const chip = new ShtEmulator({ kind: "sht3x", rawT: 0x6666, rawRH: 0x8000 });
    const { fake, sensor } = await openOnFakeI2c(sht3x, chip, { address: 0x45, decimals: { humidity: 2 } });
    const fields = await sensor.read(new AbortController().signal);
    expect(fake.messages.every((m) => m.address === 0x45)).toBe(true);
    expect(fields.find((f) => f.name === "humidity")).toMatchObject({ decimals: 2 });
  });

  it("rejects a read whose CRC is corrupted, and reads fine afterwards", async () => {
    const chip = new ShtEmulator({ kind: "sht3x", rawT: 0x6666, rawRH: 0x8000 });
    const { sensor } = await openOnFakeI2c(sht3x, chip);
    chip.corruptNextCrc("temperature");
    await expect(sensor.read(new AbortController().signal)).rejects.toThrow(
      /^sht3x on i2c-1 at 0x44: CRC mismatch on temperature: got 0x[0-9a-f]{2}, expected 0x[0-9a-f]{2}$/,
    );
    chip.corruptNextCrc("humidity");
    await expect(sensor.read(new AbortController().signal)).rejects.toThrow(/CRC mismatch on humidity/);
    expect(values(await sensor.read(new AbortController().signal)).temperature).toBeCloseTo(25, 2);
  });

  it("rejects addresses the part cannot have", () => {
    expect(sht3x.configSchema.safeParse({ address: 0x40 }).success).toBe(false);
    expect(sht3x.configSchema.parse({})).toMatchObject({ bus: 1, address: 0x44 });
  });

  it("reports a missing chip with the errno code", async () => {
    const fake = new FakeI2cBus();
    const sensor = await sht3x.open(sht3x.configSchema.parse({}), { bus: fakeI2cBusFactory(fake), log: silent, id: "th" });
    onTestFinished(() => sensor.close());
    await expect(sensor.read(new AbortController().signal)).rejects.toMatchObject({ code: "ENXIO" });
  });
});

describe("sht4x driver (through the bus layer)", () => {
  it("sends 0xFD and reports T and clamped RH", async () => {
    const chip = new ShtEmulator({ kind: "sht4x", rawT: 0x6666, rawRH: 0xffff });
    const { sensor } = await openOnFakeI2c(sht4x, chip);
    const v = values(await sensor.read(new AbortController().signal));
    expect(chip.commands).toStrictEqual(["fd"]);
    expect(chip.earlyReads).toBe(0);
    expect(v.temperature).toBeCloseTo(25.0, 2);
    expect(v.humidity).toBe(100);
  });

  it("rejects a corrupted CRC", async () => {
    const chip = new ShtEmulator({ kind: "sht4x", rawT: 0x6666, rawRH: 0x8000 });
    const { sensor } = await openOnFakeI2c(sht4x, chip);
    chip.corruptNextCrc();
    await expect(sensor.read(new AbortController().signal)).rejects.toThrow(/CRC mismatch on temperature/);
  });
});
