// IIO sensors against sysfs-shaped folders in a temp dir (Documentation/ABI/testing/sysfs-bus-iio).
// EIO: a plain file in a temp dir can't be made to fail a read with EIO (and tests may run as
// root, so chmod 000 doesn't help either), so the tests inject the read function through
// openIio's optional `deps` and make it throw an errno error for chosen paths. Everything else
// (directory listing, name lookup, missing attributes) uses the real files.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { busWith } from "../../helpers/bus.js";
import { channelType, iio, iioConfigSchema, iioValue, openIio, type IioDeps } from "../../../drivers/kernel/iio.js";

const silent = pino({ level: "silent" });

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "thingd-iio-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function addDevice(dev: string, files: Record<string, string>): string {
  const dir = join(root, "bus", "iio", "devices", dev);
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), `${content}\n`);
  return dir;
}

function ctx() {
  const bus = busWith({ sysfsRoot: root });
  return { bus, log: silent, id: "t1" };
}

const signal = () => AbortSignal.timeout(2000);

function open(config: Record<string, unknown>, deps?: IioDeps) {
  return openIio(iioConfigSchema.parse(config), ctx(), deps);
}

describe("iioValue", () => {
  it("prefers the processed input", () => {
    expect(iioValue({ input: "23400\n", raw: "1", scale: "2" })).toBe(23400);
  });
  it("computes (raw + offset) × scale, offset before scaling", () => {
    expect(iioValue({ raw: "100", scale: "0.5", offset: "-20" })).toBe(40);
    expect(iioValue({ raw: "1000\n", scale: "0.125000000\n" })).toBe(125);
    expect(iioValue({ raw: "7" })).toBe(7);
  });
  it("rejects missing and non-numeric values", () => {
    expect(() => iioValue({})).toThrow(/in_\*_input or in_\*_raw/);
    expect(() => iioValue({ raw: "abc" })).toThrow(/number in in_\*_raw/);
    expect(() => iioValue({ input: "" })).toThrow(/number/);
  });
  it("finds the channel type", () => {
    expect(["temp", "temp_ambient", "voltage0", "voltage0-voltage1", "humidityrelative"].map(channelType)).toStrictEqual([
      "temp", "temp", "voltage", "voltage", "humidityrelative",
    ]);
  });
});

describe("iio driver", () => {
  it("reads a DHT by name with ABI-unit defaults (milli-°C → °C, milli-% → %)", async () => {
    addDevice("iio:device0", { name: "bme280", in_temp_input: "1" });
    addDevice("iio:device1", { name: "dht11", in_temp_input: "21300", in_humidityrelative_input: "45600" });
    const s = await open({ device: "dht11", channels: [{ channel: "temp" }, { channel: "humidityrelative" }] });
    expect(await s.read(signal())).toMatchObject([
      { type: "numeric", name: "temperature", value: 21.3, unit: "°C", decimals: 1 },
      { type: "numeric", name: "humidity", value: 45.6, unit: "%", decimals: 1 },
    ]);
  });

  it("reads pressure in kPa as hPa and illuminance in lx; config overrides defaults", async () => {
    addDevice("iio:device2", { name: "bme280", in_pressure_input: "101.325", in_illuminance_input: "250", in_temp_input: "20000" });
    const s = await open({
      device: "iio:device2",
      channels: [{ channel: "pressure" }, { channel: "illuminance" }, { channel: "temp", name: "t", unit: "K", scale: 0.001, decimals: 3 }],
    });
    const fields = await s.read(signal());
    expect(fields[0]).toMatchObject({ name: "pressure", unit: "hPa" });
    expect(fields[0]!.value).toBeCloseTo(1013.25, 9);
    expect(fields[1]).toMatchObject({ name: "illuminance", value: 250, unit: "lx" });
    expect(fields[2]).toMatchObject({ name: "t", value: 20, unit: "K", decimals: 3 });
  });

  it("uses raw × scale + offset (own or shared by type) when there is no input", async () => {
    addDevice("iio:device0", {
      name: "ads1015",
      in_voltage0_raw: "1000",
      in_voltage1_raw: "500",
      in_voltage1_scale: "1",
      in_voltage_scale: "3.0", // shared by all voltage channels
      in_temp_raw: "100",
      in_temp_offset: "-20",
      in_temp_scale: "250", // → (100 - 20) × 250 = 20000 milli-°C
    });
    const s = await open({ device: "ads1015", channels: [{ channel: "voltage0" }, { channel: "voltage1", unit: "mV", scale: 1 }, { channel: "temp" }] });
    const fields = await s.read(signal());
    expect(fields.map((f) => [f.name, f.value])).toStrictEqual([["voltage0", 3], ["voltage1", 500], ["temperature", 20]]);
    expect(fields[0]).toMatchObject({ unit: "V", decimals: 3 });
  });

  it("turns EIO/ETIMEDOUT into a read error and tries again next read", async () => {
    addDevice("iio:device0", { name: "dht11", in_temp_input: "22000", in_humidityrelative_input: "50000" });
    const failures: string[] = ["EIO", "ETIMEDOUT"];
    const deps: IioDeps = {
      async readFile(path, sig) {
        if (path.endsWith("in_temp_input") && failures.length > 0) {
          const code = failures.shift()!;
          throw Object.assign(new Error(`${code}: simulated`), { code });
        }
        return readFile(path, { encoding: "utf8", signal: sig });
      },
    };
    const s = await open({ device: "dht11", channels: [{ channel: "temp" }, { channel: "humidityrelative" }] }, deps);
    await expect(s.read(signal())).rejects.toThrow(/reading temp failed with EIO .*next read retries/);
    await expect(s.read(signal())).rejects.toThrow(/ETIMEDOUT/);
    expect((await s.read(signal())).map((f) => f.value)).toStrictEqual([22, 50]);
  });

  it("reports a missing device with the names it found, and finds it when it appears", async () => {
    addDevice("iio:device0", { name: "bme280" });
    const s = await open({ device: "dht11", channels: [{ channel: "temp" }] });
    await expect(s.read(signal())).rejects.toThrow(/no device named "dht11" .*iio:device0=bme280.*dtoverlay=dht11/);
    addDevice("iio:device1", { name: "dht11", in_temp_input: "19500" });
    expect(await s.read(signal())).toMatchObject([{ value: 19.5 }]);
  });

  it("refuses two devices of the same name, and names missing channel files", async () => {
    addDevice("iio:device0", { name: "bme280", in_temp_input: "1" });
    addDevice("iio:device1", { name: "bme280" });
    await expect(open({ device: "bme280", channels: [{ channel: "temp" }] })).rejects.toThrow(/2 devices named "bme280" \(iio:device0, iio:device1\)/);
    const s = await open({ device: "iio:device1", channels: [{ channel: "temp" }] });
    await expect(s.read(signal())).rejects.toThrow(/neither .*in_temp_input nor .*in_temp_raw exists/);
  });

  it("describes fields and validates config", () => {
    const config = iioConfigSchema.parse(iio.example);
    expect(iio.describeFields(config)).toStrictEqual([
      { name: "temperature", type: "numeric", unit: "°C" },
      { name: "humidity", type: "numeric", unit: "%" },
    ]);
    expect(iioConfigSchema.safeParse({ device: "dht11", channels: [] }).success).toBe(false);
    expect(iioConfigSchema.safeParse({ device: "dht11", channels: [{ channel: "Temp!" }] }).success).toBe(false);
    expect(iioConfigSchema.safeParse({ device: "dht11", channels: [{ channel: "temp", unit: "C" }] }).success).toBe(false);
  });
});
