// Maxim DS18B20 1-wire thermometer, read through the kernel's w1 bus driver and its w1_therm
// slave driver (Documentation/w1/slaves/w1_therm.rst; ABI in
// Documentation/ABI/testing/sysfs-driver-w1_therm). No native code: enable the bus with
// `dtoverlay=w1-gpio` (GPIO4 by default, `gpiopin=N` to move it) and a 4.7 kΩ pull-up to 3.3 V.
//
// Reading `/sys/bus/w1/devices/28-xxxxxxxxxxxx/w1_slave` starts a conversion and blocks for up
// to ~750 ms (12-bit resolution), so it is read with fs/promises, and all DS18B20 reads share
// one module-level queue: the sensors hang on one wire, and the kernel would serialise them
// anyway (holding the bus mutex), which would only make our timeouts fire on queued reads.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { DriverContext, DriverDefinition, Sensor } from "../types.js";

/** Family code 0x28 = DS18B20 (w1_therm also serves 0x10 DS18S20, 0x22 DS1822, 0x3b, 0x42). */
const ID_PATTERN = /^28-[0-9a-f]{12}$/;

/** The power-on reset value of the temperature register (datasheet: +85 °C). */
const POWER_ON_MILLI = 85000;

export const ds18b20ConfigSchema = z
  .object({
    /** The 1-wire id, `28-` + 12 hex digits; omit when exactly one DS18B20 is on the bus. */
    sensor: z
      .string()
      .regex(ID_PATTERN, "expected a 1-wire id like 28-0316a2792aff (see /sys/bus/w1/devices)")
      .optional(),
    decimals: z.number().int().min(0).max(4).default(2),
  })
  .strict();

export type Ds18b20Config = z.infer<typeof ds18b20ConfigSchema>;

export interface W1Reading {
  milliCelsius: number;
  celsius: number;
}

/**
 * Parse the two lines of `w1_slave` (w1_therm.rst): the 9 scratchpad bytes and `: crc=xx YES`
 * (or `NO`), then the 9 bytes again and `t=<milli °C>`. Throws on a failed CRC, on a missing
 * value and on 85000 (the power-on value: the conversion never ran, usually power or pull-up).
 */
export function parseW1Slave(text: string): W1Reading {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  const crcLine = lines[0];
  const valueLine = lines[1];
  if (crcLine === undefined || valueLine === undefined) {
    throw new Error(`w1_slave: expected two lines, got ${JSON.stringify(text)}`);
  }
  const crc = /crc=([0-9a-f]{2}) (YES|NO)$/i.exec(crcLine);
  if (!crc) throw new Error(`w1_slave: expected line 1 to end in "crc=xx YES", got ${JSON.stringify(crcLine)}`);
  if (crc[2]!.toUpperCase() !== "YES") throw new Error(`CRC check failed (${crcLine}): noise on the wire or a loose contact`);
  const t = /t=(-?\d+)$/.exec(valueLine);
  if (!t) throw new Error(`w1_slave: expected line 2 to end in "t=<milli °C>", got ${JSON.stringify(valueLine)}`);
  const milliCelsius = Number(t[1]);
  if (milliCelsius === POWER_ON_MILLI) {
    throw new Error("power-on value 85 °C: conversion failed (check the 4.7 kΩ pull-up and power)");
  }
  return { milliCelsius, celsius: milliCelsius / 1000 };
}

// One queue for every DS18B20 in the process (the w1 bus is shared).
let w1Tail: Promise<unknown> = Promise.resolve();

/** Run `fn` after every earlier w1 read settled; the caller is released at once on abort. */
export function w1Exclusive<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
  const run = w1Tail.then(() => {
    signal.throwIfAborted();
    return fn();
  });
  w1Tail = run.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    run.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

function w1DevicesDir(sysfsRoot: string): string {
  return join(sysfsRoot, "bus", "w1", "devices");
}

const OVERLAY_HINT = "is the 1-wire bus enabled (dtoverlay=w1-gpio in /boot/firmware/config.txt) and the sensor wired?";

/** The DS18B20 ids under `<sysfsRoot>/bus/w1/devices`, sorted; [] when the w1 bus is absent. */
export async function listDs18b20(sysfsRoot: string): Promise<string[]> {
  try {
    return (await readdir(w1DevicesDir(sysfsRoot))).filter((n) => ID_PATTERN.test(n)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
}

/**
 * The sensor id to read: the configured one, or the only `28-*` device. Several devices and no
 * `sensor` is a config error (listing them); none yet returns undefined (retried on each read).
 */
async function resolveId(config: Ds18b20Config, sysfsRoot: string): Promise<string | undefined> {
  if (config.sensor) return config.sensor;
  const ids = await listDs18b20(sysfsRoot);
  if (ids.length > 1) {
    throw new Error(`ds18b20: ${ids.length} DS18B20 sensors on the 1-wire bus (${ids.join(", ")}); set "sensor" to one of them`);
  }
  return ids[0];
}

async function readW1Slave(path: string, signal: AbortSignal): Promise<string> {
  try {
    return await readFile(path, { encoding: "utf8", signal });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(`ds18b20: ${path} does not exist: ${OVERLAY_HINT}`, { cause: e });
    }
    throw e;
  }
}

export const ds18b20: DriverDefinition<Ds18b20Config> = {
  name: "ds18b20",
  bus: "none",
  description: "DS18B20 1-wire thermometer via the kernel w1-gpio/w1_therm drivers (sysfs w1_slave)",
  configSchema: ds18b20ConfigSchema,
  example: { sensor: "28-0316a2792aff", decimals: 2 },
  describeFields: () => [{ name: "temperature", type: "numeric", unit: "°C" }],
  async open(config, ctx: DriverContext): Promise<Sensor> {
    const sysfsRoot = ctx.bus.sysfsRoot;
    let id = await resolveId(config, sysfsRoot);
    return {
      async read(signal) {
        id ??= await resolveId(config, sysfsRoot);
        if (id === undefined) {
          throw new Error(`ds18b20: no 28-* device in ${w1DevicesDir(sysfsRoot)}: ${OVERLAY_HINT}`);
        }
        const path = join(w1DevicesDir(sysfsRoot), id, "w1_slave");
        const text = await w1Exclusive(() => readW1Slave(path, signal), signal);
        const { celsius } = parseW1Slave(text);
        return [
          { type: "numeric", name: "temperature", value: celsius, unit: "°C", decimals: config.decimals, timestamp: new Date() },
        ];
      },
      async close() {},
    };
  },
};
