import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  bme280,
  bmp280,
  compensateHumidity,
  compensatePressure,
  compensateTemperature,
  maxMeasurementMs,
  parseAdc,
  parseCalibration,
  type Bme280Calibration,
} from "../../../drivers/i2c/bme280.js";
import { dewPoint } from "../../../drivers/dew-point.js";
import { FakeI2cBus } from "../../fakes/i2c-bus.js";
import { fakeI2cBusFactory, openOnFakeI2c } from "../../helpers/i2c-rig.js";
import { values } from "../../helpers/values.js";
import { Bme280Emulator, encodeCalibration } from "../../fakes/chips/bme280.js";

const silent = pino({ level: "silent" });

// BMP280 datasheet §8.2 / §3.12 "Calculating pressure and temperature", worked example table.
const DATASHEET: Bme280Calibration = {
  dig_T1: 27504, dig_T2: 26435, dig_T3: -1000,
  dig_P1: 36477, dig_P2: -10685, dig_P3: 3024, dig_P4: 2855, dig_P5: 140,
  dig_P6: -7, dig_P7: 15500, dig_P8: -14600, dig_P9: 6000,
};
const ADC_T = 519888;
const ADC_P = 415148;

// Humidity trimming of the kind a real BME280 carries (dig_H4/H5 are 12-bit packed at 0xE4..0xE6).
const HUMIDITY = { dig_H1: 75, dig_H2: 362, dig_H3: 0, dig_H4: 313, dig_H5: 50, dig_H6: 30 };
const WITH_HUMIDITY: Bme280Calibration = { ...DATASHEET, humidity: HUMIDITY };
const ADC_H = 27000;

/** The 32-bit integer humidity formula (BME280 datasheet §4.2.3, bme280_compensate_H_int32), as a cross-check. */
function humidityInt32(adcH: number, tFine: number, h: typeof HUMIDITY): number {
  let v = tFine - 76800;
  v =
    ((((adcH << 14) - (h.dig_H4 << 20) - h.dig_H5 * v + 16384) >> 15) *
      (((((((v * h.dig_H6) >> 10) * (((v * h.dig_H3) >> 11) + 32768)) >> 10) + 2097152) * h.dig_H2 + 8192) >> 14)) |
    0;
  v = v - (((((v >> 15) * (v >> 15)) >> 7) * h.dig_H1) >> 4);
  v = Math.min(419430400, Math.max(0, v));
  return (v >> 12) / 1024;
}





describe("compensation (datasheet worked example)", () => {
  it("temperature: adc_T 519888 → 25.08 °C", () => {
    const { temperature, tFine } = compensateTemperature(ADC_T, DATASHEET);
    expect(temperature).toBeCloseTo(25.08, 2);
    expect(Math.trunc(tFine)).toBe(128422); // the datasheet's t_fine
  });

  it("pressure: adc_P 415148 → 100653.27 Pa", () => {
    const { tFine } = compensateTemperature(ADC_T, DATASHEET);
    expect(compensatePressure(ADC_P, tFine, DATASHEET)).toBeCloseTo(100653.27, 1);
  });

  it("humidity: agrees with the datasheet's int32 formula and clamps to 0..100", () => {
    const { tFine } = compensateTemperature(ADC_T, DATASHEET);
    const h = compensateHumidity(ADC_H, tFine, HUMIDITY);
    expect(h).toBeGreaterThan(0);
    expect(h).toBeLessThan(100);
    expect(Math.abs(h - humidityInt32(ADC_H, Math.trunc(tFine), HUMIDITY))).toBeLessThan(0.05);
    expect(compensateHumidity(0, tFine, HUMIDITY)).toBe(0);
    expect(compensateHumidity(65535, tFine, HUMIDITY)).toBe(100);
  });

  it("maximum measurement time (§9.1): 9.3 ms at x1 with humidity (§9.2 weather monitoring), 6.425 without", () => {
    expect(maxMeasurementMs(1, 1, 1)).toBeCloseTo(9.3, 6);
    expect(maxMeasurementMs(1, 1)).toBeCloseTo(6.425, 6);
  });
});

describe("parseCalibration / parseAdc", () => {
  it("decodes little-endian words and the packed 12-bit dig_H4/dig_H5, including negatives", () => {
    // Written out by hand: 0xE4 = 0x13, 0xE5 = 0x29 (H5[3:0]=2, H4[3:0]=9), 0xE6 = 0x03 → H4 = 0x139 = 313, H5 = 0x032 = 50.
    const { block1 } = encodeCalibration(WITH_HUMIDITY);
    const block2 = Buffer.from([0x6a, 0x01, 0x00, 0x13, 0x29, 0x03, 0x1e]);
    expect(parseCalibration(block1, block2)).toStrictEqual(WITH_HUMIDITY);
    expect(block1.subarray(0, 2)).toStrictEqual(Buffer.from([0x70, 0x6b])); // dig_T1 = 27504 LE
    // 0xE4 = 0xFF, 0xE5 = 0xEF, 0xE6 = 0xFF → H4 = 0xFFF = -1, H5 = 0xFFE = -2; 0xE7 = 0x80 → H6 = -128
    const negative = parseCalibration(block1, Buffer.from([0x00, 0x80, 0xff, 0xff, 0xef, 0xff, 0x80]));
    expect(negative.humidity).toMatchObject({ dig_H2: -32768, dig_H3: 255, dig_H4: -1, dig_H5: -2, dig_H6: -128 });
    // Round trip of the emulator's encoder.
    const h = { ...HUMIDITY, dig_H4: -700, dig_H5: -1234 };
    const enc = encodeCalibration({ ...DATASHEET, humidity: h });
    expect(parseCalibration(enc.block1, enc.block2).humidity).toStrictEqual(h);
  });

  it("BMP280 calibration has no humidity part", () => {
    expect(parseCalibration(encodeCalibration(DATASHEET).block1).humidity).toBeUndefined();
  });

  it("rejects blank calibration", () => {
    expect(() => parseCalibration(Buffer.alloc(26))).toThrow(/blank/);
  });

  it("assembles 20-bit press/temp (msb, lsb, xlsb[7:4]) and 16-bit humidity", () => {
    expect(parseAdc(Buffer.from([0x65, 0x5a, 0xc0, 0x7e, 0xed, 0x00, 0x69, 0x78]))).toStrictEqual({
      adcP: 415148,
      adcT: 519888,
      adcH: 27000,
    });
  });
});

describe("bme280 driver (emulator through the bus layer)", () => {
  it("reads T, p and RH end to end in forced mode", async () => {
    const chip = new Bme280Emulator({ calibration: WITH_HUMIDITY, adc: { adcT: ADC_T, adcP: ADC_P, adcH: ADC_H }, conversionMs: 8 });
    const { fake, sensor } = await openOnFakeI2c(bme280, chip);
    const fields = await sensor.read(new AbortController().signal);
    const v = values(fields);
    expect(v.temperature).toBeCloseTo(25.08, 2);
    expect(v.pressure).toBeCloseTo(1006.53, 2);
    const { tFine } = compensateTemperature(ADC_T, DATASHEET);
    expect(v.humidity).toBeCloseTo(compensateHumidity(ADC_H, tFine, HUMIDITY), 6);
    expect(fields.map((f) => (f.type === "numeric" ? [f.name, f.unit, f.decimals] : null))).toStrictEqual([
      ["temperature", "°C", 2],
      ["pressure", "hPa", 2],
      ["humidity", "%", 1],
      ["dew_point", "°C", 2],
    ]);
    expect(fields.find((f) => f.name === "dew_point")).toMatchObject({ kind: "computed", value: dewPoint(v.temperature as number, v.humidity as number) });
    expect(sensor.model).toBe("bme280");
    expect(chip.conversions).toBe(1);
    expect(chip.readsWhileMeasuring).toBe(0);
    expect(chip.latchedCtrlHum).toBe(0b001); // ctrl_hum was written before ctrl_meas
    // Writes: ctrl_hum (0xF2) before ctrl_meas (0xF4 = osrs_t x1, osrs_p x1, forced).
    const writes = fake.messages.filter((m) => m.op === "write" && m.data.length === 2).map((m) => m.data.toString("hex"));
    expect(writes).toStrictEqual(["f201", "f425"]);
  });

  it("reads calibration once at open, not per read", async () => {
    const chip = new Bme280Emulator({ calibration: WITH_HUMIDITY, adc: { adcT: ADC_T, adcP: ADC_P, adcH: ADC_H }, conversionMs: 1 });
    const { fake, sensor } = await openOnFakeI2c(bme280, chip);
    await sensor.read(new AbortController().signal);
    await sensor.read(new AbortController().signal);
    const calibReads = fake.messages.filter((m) => m.op === "write" && (m.data[0] === 0x88 || m.data[0] === 0xe1));
    expect(calibReads).toHaveLength(2);
    expect(chip.conversions).toBe(2);
  });

  it("polls the measuring bit when the conversion outlasts the computed time", async () => {
    const chip = new Bme280Emulator({ calibration: WITH_HUMIDITY, adc: { adcT: ADC_T, adcP: ADC_P, adcH: ADC_H }, conversionMs: 14 });
    const { sensor } = await openOnFakeI2c(bme280, chip);
    const v = values(await sensor.read(new AbortController().signal));
    expect(chip.readsWhileMeasuring).toBe(0);
    expect(v.temperature).toBeCloseTo(25.08, 2);
  });

  it("honours oversampling, address, soft reset and decimals", async () => {
    const chip = new Bme280Emulator({ calibration: WITH_HUMIDITY, adc: { adcT: ADC_T, adcP: ADC_P, adcH: ADC_H }, conversionMs: 1 });
    const { fake, sensor } = await openOnFakeI2c(bme280, chip, {
      address: 0x77,
      oversampling: { temperature: 2, pressure: 16, humidity: 4 },
      soft_reset: true,
      decimals: { pressure: 1 },
    });
    const fields = await sensor.read(new AbortController().signal);
    expect(chip.resets).toBe(1);
    const writes = fake.messages.filter((m) => m.op === "write" && m.data.length === 2).map((m) => m.data.toString("hex"));
    // e0b6 reset; ctrl_hum osrs_h x4 = 011; ctrl_meas 010 101 01 = 0x55.
    expect(writes).toStrictEqual(["e0b6", "f203", "f455"]);
    expect(fields.find((f) => f.name === "pressure")).toMatchObject({ decimals: 1 });
    expect(fake.messages.every((m) => m.address === 0x77)).toBe(true);
  });

  it("refuses a BMP280 (chip id 0x58) with a clear error", async () => {
    const chip = new Bme280Emulator({ chipId: 0x58, calibration: DATASHEET, adc: { adcT: ADC_T, adcP: ADC_P } });
    const fake = new FakeI2cBus().attach(0x76, chip);
    await expect(bme280.open(bme280.configSchema.parse({}), { bus: fakeI2cBusFactory(fake), log: silent, id: "env" })).rejects.toThrow(
      "bme280 on i2c-1 at 0x76: chip id register 0xD0 reads 0x58 (a BMP280), expected 0x60 for a BME280 (use driver bmp280)",
    );
  });

  it("refuses an unknown chip id, naming what was found", async () => {
    const chip = new Bme280Emulator({ chipId: 0x61, calibration: DATASHEET, adc: { adcT: ADC_T, adcP: ADC_P } });
    const fake = new FakeI2cBus().attach(0x76, chip);
    await expect(bmp280.open(bmp280.configSchema.parse({}), { bus: fakeI2cBusFactory(fake), log: silent, id: "env" })).rejects.toThrow(
      /reads 0x61 \(a BME680\/BME688\), expected 0x58 for a BMP280/,
    );
  });

  it("a read aborted during the conversion rejects with the abort reason", async () => {
    const chip = new Bme280Emulator({ calibration: WITH_HUMIDITY, adc: { adcT: ADC_T, adcP: ADC_P, adcH: ADC_H }, conversionMs: 50 });
    const { sensor } = await openOnFakeI2c(bme280, chip);
    const ac = new AbortController();
    const reading = sensor.read(ac.signal);
    setTimeout(() => ac.abort(new Error("read timeout")), 5);
    await expect(reading).rejects.toThrow("read timeout");
  });

  it("validates config", () => {
    expect(bme280.configSchema.parse({})).toMatchObject({ bus: 1, address: 0x76, oversampling: 1, soft_reset: false });
    expect(bme280.configSchema.safeParse({ address: 0x75 }).success).toBe(false);
    expect(bme280.configSchema.safeParse({ oversampling: 3 }).success).toBe(false);
    expect(bmp280.configSchema.safeParse({ decimals: { humidity: 1 } }).success).toBe(false);
  });
});

describe("bmp280 driver", () => {
  it("reads T and p, no humidity, without touching ctrl_hum", async () => {
    const chip = new Bme280Emulator({ chipId: 0x58, calibration: DATASHEET, adc: { adcT: ADC_T, adcP: ADC_P }, conversionMs: 7 });
    const { fake, sensor } = await openOnFakeI2c(bmp280, chip);
    const fields = await sensor.read(new AbortController().signal);
    expect(fields.map((f) => f.name)).toStrictEqual(["temperature", "pressure"]);
    expect(bmp280.describeFields(bmp280.configSchema.parse({})).map((f) => f.name)).toStrictEqual(["temperature", "pressure"]);
    const v = values(fields);
    expect(v.temperature).toBeCloseTo(25.08, 2);
    expect(v.pressure).toBeCloseTo(1006.53, 2);
    expect(fake.messages.some((m) => m.op === "write" && m.data[0] === 0xf2)).toBe(false);
    expect(fake.messages.some((m) => m.op === "write" && m.data[0] === 0xe1)).toBe(false);
  });
});
