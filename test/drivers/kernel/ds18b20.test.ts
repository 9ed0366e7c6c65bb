// DS18B20 over the kernel w1 driver, against w1_slave files in a temp folder standing in for /sys.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { busWith } from "../../helpers/bus.js";
import { ds18b20, ds18b20ConfigSchema, parseW1Slave, w1Exclusive } from "../../../drivers/kernel/ds18b20.js";

const silent = pino({ level: "silent" });

// The format from Documentation/w1/slaves/w1_therm.rst (scratchpad bytes twice).
const GOOD = "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n";
const NEGATIVE = "5e ff 4b 46 7f ff 02 10 d8 : crc=d8 YES\n5e ff 4b 46 7f ff 02 10 d8 t=-10125\n";
const CRC_NO = "72 01 4b 46 7f ff 0e 10 57 : crc=12 NO\n72 01 4b 46 7f ff 0e 10 57 t=23125\n";
const POWER_ON = "50 05 4b 46 7f ff 0c 10 1c : crc=1c YES\n50 05 4b 46 7f ff 0c 10 1c t=85000\n";

const A = "28-0316a2792aff";
const B = "28-00000abcdef0";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "thingd-w1-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function addDevice(id: string, text: string): void {
  const dir = join(root, "bus", "w1", "devices", id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "w1_slave"), text);
}

function ctx() {
  const bus = busWith({ sysfsRoot: root });
  return { bus, log: silent, id: "t1" };
}

async function open(config: Record<string, unknown>) {
  return ds18b20.open(ds18b20ConfigSchema.parse(config), ctx());
}

const signal = () => AbortSignal.timeout(2000);

describe("parseW1Slave", () => {
  it("reads t= as milli-°C", () => {
    expect(parseW1Slave(GOOD)).toStrictEqual({ milliCelsius: 23125, celsius: 23.125 });
    expect(parseW1Slave(NEGATIVE).celsius).toBe(-10.125);
  });
  it("rejects a failed CRC, the power-on value and garbage", () => {
    expect(() => parseW1Slave(CRC_NO)).toThrow("CRC check failed");
    expect(() => parseW1Slave(POWER_ON)).toThrow("power-on value 85 °C: conversion failed (check the 4.7 kΩ pull-up and power)");
    expect(() => parseW1Slave("")).toThrow(/two lines/);
    expect(() => parseW1Slave("00 : crc=00 YES\nnothing\n")).toThrow(/t=/);
  });
});

describe("ds18b20 driver", () => {
  it("reads the configured sensor", async () => {
    addDevice(A, GOOD);
    addDevice(B, NEGATIVE);
    const s = await open({ sensor: B, decimals: 1 });
    const [f, ...rest] = await s.read(signal());
    expect(rest).toHaveLength(0);
    expect(f).toMatchObject({ type: "numeric", name: "temperature", value: -10.125, unit: "°C", decimals: 1 });
  });

  it("uses the only 28-* device when sensor is omitted (decimals default 2)", async () => {
    addDevice(A, GOOD);
    mkdirSync(join(root, "bus", "w1", "devices", "w1_bus_master1"), { recursive: true });
    const s = await open({});
    expect(await s.read(signal())).toMatchObject([{ value: 23.125, decimals: 2 }]);
  });

  it("refuses to guess among several devices, listing them", async () => {
    addDevice(A, GOOD);
    addDevice(B, GOOD);
    await expect(open({})).rejects.toThrow(`2 DS18B20 sensors on the 1-wire bus (${B}, ${A}); set "sensor"`);
  });

  it("reports CRC NO and 85000 as read errors, and recovers", async () => {
    addDevice(A, CRC_NO);
    const s = await open({ sensor: A });
    await expect(s.read(signal())).rejects.toThrow("CRC check failed");
    addDevice(A, POWER_ON);
    await expect(s.read(signal())).rejects.toThrow("power-on value 85 °C");
    addDevice(A, GOOD);
    expect(await s.read(signal())).toMatchObject([{ value: 23.125 }]);
  });

  it("names the missing path and the overlay", async () => {
    const s = await open({ sensor: A });
    const path = join(root, "bus", "w1", "devices", A, "w1_slave");
    await expect(s.read(signal())).rejects.toThrow(path);
    await expect(s.read(signal())).rejects.toThrow("dtoverlay=w1-gpio");
    const auto = await open({});
    await expect(auto.read(signal())).rejects.toThrow(/no 28-\* device .*dtoverlay=w1-gpio/);
    addDevice(A, GOOD); // plugged in later: found on the next read
    expect(await auto.read(signal())).toMatchObject([{ value: 23.125 }]);
  });

  it("rejects a malformed id in the config", () => {
    expect(ds18b20ConfigSchema.safeParse({ sensor: "10-abc" }).success).toBe(false);
    expect(ds18b20ConfigSchema.safeParse({ sensor: A, extra: 1 }).success).toBe(false);
  });
});

describe("w1Exclusive (the shared 1-wire queue)", () => {
  it("never runs two reads at once", async () => {
    let active = 0;
    let maxActive = 0;
    const job = (ms: number) => async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, ms));
      active--;
      return ms;
    };
    const results = await Promise.all([w1Exclusive(job(20), signal()), w1Exclusive(job(5), signal()), w1Exclusive(job(10), signal())]);
    expect(results).toStrictEqual([20, 5, 10]);
    expect(maxActive).toBe(1);
  });

  it("releases a caller whose signal aborts while queued, and skips its job", async () => {
    let ran = false;
    const slow = w1Exclusive(() => new Promise((r) => setTimeout(() => r("slow"), 50)), signal());
    const ac = new AbortController();
    const queued = w1Exclusive(async () => {
      ran = true;
    }, ac.signal);
    ac.abort(new Error("timeout"));
    await expect(queued).rejects.toThrow("timeout");
    expect(await slow).toBe("slow");
    expect(await w1Exclusive(async () => "next", signal())).toBe("next");
    expect(ran).toBe(false);
  });
});
