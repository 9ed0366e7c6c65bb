// examples/all-drivers.yaml read through `thingd read`'s code path (readAllOnce) with every
// device emulated: I2C chips behind the i2c-bus-shaped FakeI2cBus, serial devices on the far
// end of socat pty pairs, 1-wire/IIO/GPIO in a sysfs folder tree, onoff replaced by its fake.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { pino } from "pino";
import { loadConfig } from "../../agent/config/load.js";
import { formatReadings, readAllOnce } from "../../agent/sensors/read-once.js";
import { createBusFactory } from "../../drivers/bus/index.js";
import { buildFrame } from "../../drivers/serial/pms5003.js";
import { FakeI2cBus, RegisterChip } from "../fakes/i2c-bus.js";
import { Bme280Emulator } from "../fakes/chips/bme280.js";
import { ShtEmulator } from "../fakes/chips/sht.js";
import { Bh1750Emulator } from "../fakes/chips/bh1750.js";
import { Ads1115Emulator } from "../fakes/chips/ads1115.js";
import { FakeGpio, loadOnoff } from "../fakes/onoff.js";
import { Mhz19Emulator } from "../fakes/mhz19-emulator.js";
import { PtyEmulator, startPtyPair, type PtyPair } from "../fakes/pty.js";

const EXAMPLE = fileURLToPath(new URL("../../examples/all-drivers.yaml", import.meta.url));
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const DATASHEET = {
  dig_T1: 27504, dig_T2: 26435, dig_T3: -1000,
  dig_P1: 36477, dig_P2: -10685, dig_P3: 3024, dig_P4: 2855, dig_P5: 140,
  dig_P6: -7, dig_P7: 15500, dig_P8: -14600, dig_P9: 6000,
};
const HUMIDITY = { dig_H1: 75, dig_H2: 362, dig_H3: 0, dig_H4: 313, dig_H5: 50, dig_H6: 30 };

async function sysfsTree(root: string): Promise<void> {
  const w1 = path.join(root, "bus/w1/devices/28-0316a2792aff");
  await mkdir(w1, { recursive: true });
  await writeFile(path.join(w1, "w1_slave"), "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n");
  const iio = path.join(root, "bus/iio/devices/iio:device0");
  await mkdir(iio, { recursive: true });
  await writeFile(path.join(iio, "name"), "dht11\n");
  await writeFile(path.join(iio, "in_temp_input"), "22300\n");
  await writeFile(path.join(iio, "in_humidityrelative_input"), "41500\n");
  const chip = path.join(root, "class/gpio/gpiochip512");
  await mkdir(chip, { recursive: true });
  await writeFile(path.join(chip, "base"), "512\n");
  await writeFile(path.join(chip, "label"), "pinctrl-bcm2711\n");
  await writeFile(path.join(chip, "ngpio"), "58\n");
}

/** Writes `make()` to the pty every 100 ms until the test ends. */
async function streamer(pair: PtyPair, make: () => Buffer): Promise<void> {
  const em = await PtyEmulator.open(pair.emulatorPath);
  const t = setInterval(() => void em.write(make()).catch(() => {}), 100);
  cleanups.push(async () => (clearInterval(t), await em.close()));
}

function nmea(body: string): Buffer {
  let x = 0;
  for (const c of body) x ^= c.charCodeAt(0);
  return Buffer.from(`$${body}*${x.toString(16).toUpperCase().padStart(2, "0")}\r\n`);
}

it("reads every field of every driver in examples/all-drivers.yaml, each numeric one with its unit", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "thingd-all-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const sysfs = path.join(dir, "sys");
  await sysfsTree(sysfs);

  const bus = new FakeI2cBus(1);
  bus.attach(0x76, new Bme280Emulator({ calibration: { ...DATASHEET, humidity: HUMIDITY }, adc: { adcT: 519888, adcP: 415148, adcH: 27000 }, conversionMs: 1 }));
  bus.attach(0x77, new Bme280Emulator({ chipId: 0x58, calibration: DATASHEET, adc: { adcT: 519888, adcP: 415148 }, conversionMs: 1 }));
  bus.attach(0x44, new ShtEmulator({ kind: "sht3x", rawT: 0x6666, rawRH: 0x8000 }));
  bus.attach(0x45, new ShtEmulator({ kind: "sht4x", rawT: 0x6666, rawRH: 0x8000 }));
  const light = new Bh1750Emulator(5);
  light.lux = 300;
  bus.attach(0x23, light);
  const adc = new Ads1115Emulator();
  adc.inputs[0] = 2.0;
  bus.attach(0x48, adc);
  const reg = new RegisterChip();
  reg.registers.writeUInt16BE(0x0b80, 0x00); // 23.0 °C at 0.0078125 °C/LSB
  bus.attach(0x18, reg);

  const pairs: Record<string, PtyPair> = {};
  for (const name of ["pms5003", "mhz19", "serial_line", "nmea"]) {
    await mkdir(path.join(dir, name));
    pairs[name] = await startPtyPair(path.join(dir, name));
    cleanups.push(() => pairs[name]!.stop());
  }
  await streamer(pairs.pms5003!, () => buildFrame({ pm1_0: 3, pm2_5: 7, pm10: 9 }));
  await streamer(pairs.serial_line!, () => Buffer.from("T=21.5 H=40\n"));
  await streamer(pairs.nmea!, () =>
    Buffer.concat([nmea("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"), nmea("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W")]),
  );
  const co2 = Mhz19Emulator.open(pairs.mhz19!.emulatorPath);
  co2.co2 = 612;
  cleanups.push(() => co2.close());

  const config = await loadConfig(EXAMPLE, { THINGD_PASSWORD: "unused" });
  const port: Record<string, string> = { pms5003: "pms5003", mhz19: "mhz19", "serial-line": "serial_line", nmea: "nmea" };
  for (const s of config.sensors) {
    const p = port[s.driver];
    if (p) (s.options as { port: string }).port = pairs[p]!.devicePath;
  }
  FakeGpio.instances = [];
  const factory = createBusFactory({ i2cOpenBus: async () => bus, sysfsRoot: sysfs, gpioLoadOnoff: loadOnoff, serialBackoff: { initialDelayMs: 50 } });

  const readings = await readAllOnce(config, pino({ level: "silent" }), factory);
  console.log(formatReadings(readings));
  expect(readings.filter((r) => r.error)).toStrictEqual([]);
  expect(readings.map((r) => r.driver).sort()).toStrictEqual(config.sensors.map((s) => s.driver).sort());
  for (const r of readings) {
    expect(r.fields.length, r.sensor).toBeGreaterThan(0);
    for (const f of r.fields) if (typeof f.value === "number") expect(f.unit, `${r.sensor}.${f.name}`).toBeDefined();
  }
  const value = (sensor: string, field: string) => readings.find((r) => r.sensor === sensor)?.fields.find((f) => f.name === field)?.value;
  expect(value("bme280", "temperature")).toBe(25.08);
  expect(value("bme280", "humidity")).toBeGreaterThan(0);
  expect(value("pms5003", "pm2_5")).toBe(7);
  expect(value("mhz19", "co2")).toBe(612);
  expect(value("ds18b20", "temperature")).toBe(23.13);
  expect(value("iio", "humidityrelative") ?? value("iio", "humidity")).toBe(41.5);
  expect(value("i2c_register", "temperature")).toBe(23);
  expect(value("nmea", "satellites")).toBe(8);
}, 30_000);
