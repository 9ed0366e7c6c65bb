// Any sensor with a kernel IIO (Industrial I/O) driver, read from sysfs with plain fs: the
// DHT11/DHT22 (`dtoverlay=dht11,gpiopin=N`), BME280/BMP280 (`bmp280`), BH1750, ADS1015, ...
// The attribute names and units are the kernel ABI in Documentation/ABI/testing/sysfs-bus-iio:
//   in_<ch>_input              processed value, already in the ABI unit of the channel type
//   in_<ch>_raw                unscaled value; value = (raw + offset) × scale
//   in_<ch>_scale/_offset      per channel, or shared by type (in_voltage_scale)
// ABI units: temp milli-°C, humidityrelative milli-%, pressure kPa, illuminance lux,
// voltage mV, current mA. Each channel may then apply `scale` (a multiplier after the kernel
// scale) to reach the field unit; known channel types get defaults (milli-°C → °C etc.).
import { readdir, readFile as fsReadFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { UNITS, type DriverContext, type DriverDefinition, type NumericField, type Sensor, type Unit } from "../types.js";

/** Defaults per IIO channel type (sysfs-bus-iio units → the field unit). */
const KNOWN_TYPES: Record<string, { name: string; unit: Unit; scale: number; decimals: number }> = {
  temp: { name: "temperature", unit: "°C", scale: 0.001, decimals: 1 }, // milli-°C
  humidityrelative: { name: "humidity", unit: "%", scale: 0.001, decimals: 1 }, // milli-%
  pressure: { name: "pressure", unit: "hPa", scale: 10, decimals: 1 }, // kPa
  illuminance: { name: "illuminance", unit: "lx", scale: 1, decimals: 0 }, // lux
  intensity: { name: "intensity", unit: "", scale: 1, decimals: 0 }, // unitless
  voltage: { name: "voltage", unit: "V", scale: 0.001, decimals: 3 }, // mV
  current: { name: "current", unit: "mA", scale: 1, decimals: 1 }, // mA
  concentration: { name: "concentration", unit: "ppm", scale: 1, decimals: 0 },
};

/**
 * The channel type of a channel spec ("temp_ambient" → "temp", "voltage0" → "voltage",
 * "voltage0-voltage1" → "voltage"), for shared attributes and defaults.
 */
export function channelType(channel: string): string {
  return /^[a-z]+/.exec(channel)?.[0] ?? channel;
}

const channelSchema = z
  .object({
    /** The `<ch>` of in_<ch>_input / in_<ch>_raw: "temp", "humidityrelative", "voltage0", ... */
    channel: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'expected an IIO channel like "temp", "humidityrelative" or "voltage0"'),
    name: z.string().min(1).optional(),
    unit: z.enum(UNITS, { error: () => `expected a unit symbol, one of: ${UNITS.filter(Boolean).join(" ")}` }).optional(),
    decimals: z.number().int().min(0).max(10).optional(),
    /** Multiplier applied after the kernel scale, e.g. 0.001 for milli-°C → °C. */
    scale: z.number().optional(),
  })
  .strict();

export const iioConfigSchema = z
  .object({
    /** `iio:deviceN`, or the content of the device's `name` file ("dht11", "bme280"). */
    device: z.string().min(1, 'expected "iio:deviceN" or a device name such as "dht11"'),
    channels: z.array(channelSchema).min(1, "expected at least one channel"),
  })
  .strict();

export type IioConfig = z.infer<typeof iioConfigSchema>;
type ChannelConfig = IioConfig["channels"][number];

interface ResolvedChannel {
  channel: string;
  type: string;
  name: string;
  unit: Unit;
  decimals: number;
  scale: number;
}

function resolveChannel(c: ChannelConfig): ResolvedChannel {
  const type = channelType(c.channel);
  const known = KNOWN_TYPES[type];
  return {
    channel: c.channel,
    type,
    // "temp" → "temperature"; indexed or modified channels ("voltage1", "temp_ambient") keep their own name.
    name: c.name ?? (c.channel === type ? known?.name : undefined) ?? c.channel,
    unit: c.unit ?? known?.unit ?? "",
    decimals: c.decimals ?? known?.decimals ?? 2,
    scale: c.scale ?? known?.scale ?? 1,
  };
}

/** The attribute values of one channel as read from sysfs (strings, untrimmed is fine). */
export interface IioAttributes {
  input?: string | number;
  raw?: string | number;
  scale?: string | number;
  offset?: string | number;
}

function num(what: string, v: string | number): number {
  const n = typeof v === "number" ? v : Number(v.trim());
  if (!Number.isFinite(n) || (typeof v === "string" && v.trim() === "")) {
    throw new Error(`expected a number in ${what}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/**
 * The value in the ABI unit (sysfs-bus-iio): `input` when present, else
 * (raw + offset) × scale, with offset 0 and scale 1 when absent.
 */
export function iioValue(a: IioAttributes): number {
  if (a.input !== undefined) return num("in_*_input", a.input);
  if (a.raw === undefined) throw new Error("expected in_*_input or in_*_raw");
  const raw = num("in_*_raw", a.raw);
  const offset = a.offset === undefined ? 0 : num("in_*_offset", a.offset);
  const scale = a.scale === undefined ? 1 : num("in_*_scale", a.scale);
  return (raw + offset) * scale;
}

/** Injected in tests to simulate EIO/ETIMEDOUT, which a real sysfs file can't be made to give. */
export interface IioDeps {
  readFile(path: string, signal: AbortSignal): Promise<string>;
}

const defaultDeps: IioDeps = {
  readFile: (path, signal) => fsReadFile(path, { encoding: "utf8", signal }),
};

const DEVICE_PATTERN = /^iio:device\d+$/;
const TRANSIENT = new Set(["EIO", "ETIMEDOUT", "EAGAIN", "EBUSY"]);

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Open an IIO sensor; `deps` replaces file reads (tests). The driver's `open` calls this. */
export async function openIio(config: IioConfig, ctx: DriverContext, deps: IioDeps = defaultDeps): Promise<Sensor> {
  const devicesDir = join(ctx.bus.sysfsRoot, "bus", "iio", "devices");
  const channels = config.channels.map(resolveChannel);

  /** Read a file; undefined when it does not exist (attribute not provided by the driver). */
  async function readOptional(path: string, signal: AbortSignal): Promise<string | undefined> {
    try {
      return await deps.readFile(path, signal);
    } catch (e) {
      if (errCode(e) === "ENOENT") return undefined;
      throw e;
    }
  }

  /** `iio:deviceN` for the configured device; numbers can change between boots, names don't. */
  async function resolveDevice(signal: AbortSignal): Promise<string> {
    if (DEVICE_PATTERN.test(config.device)) return config.device;
    let entries: string[];
    try {
      entries = (await readdir(devicesDir)).filter((n) => DEVICE_PATTERN.test(n)).sort();
    } catch (e) {
      if (errCode(e) !== "ENOENT") throw e;
      entries = [];
    }
    const names: string[] = [];
    const matches: string[] = [];
    for (const entry of entries) {
      const name = (await readOptional(join(devicesDir, entry, "name"), signal))?.trim();
      names.push(`${entry}=${name ?? "?"}`);
      if (name === config.device) matches.push(entry);
    }
    if (matches.length > 1) {
      throw new Error(`iio: ${matches.length} devices named "${config.device}" (${matches.join(", ")}); set "device" to one of them`);
    }
    const found = matches[0];
    if (found === undefined) {
      throw new Error(
        `iio: no device named "${config.device}" in ${devicesDir} (found: ${names.join(", ") || "none"}); ` +
          "is its overlay loaded (e.g. dtoverlay=dht11,gpiopin=4 in /boot/firmware/config.txt)?",
      );
    }
    return found;
  }

  async function readChannel(dir: string, c: ResolvedChannel, signal: AbortSignal): Promise<number> {
    const attr = (suffix: string) => join(dir, `in_${c.channel}_${suffix}`);
    // Shared-by-type attributes (in_voltage_scale) apply when the channel has none of its own.
    const shared = (suffix: string) => join(dir, `in_${c.type}_${suffix}`);
    const input = await readOptional(attr("input"), signal);
    if (input !== undefined) return iioValue({ input }) * c.scale;
    const raw = await readOptional(attr("raw"), signal);
    if (raw === undefined) {
      throw new Error(`iio: neither ${attr("input")} nor ${attr("raw")} exists`);
    }
    const scale = (await readOptional(attr("scale"), signal)) ?? (c.type !== c.channel ? await readOptional(shared("scale"), signal) : undefined);
    const offset = (await readOptional(attr("offset"), signal)) ?? (c.type !== c.channel ? await readOptional(shared("offset"), signal) : undefined);
    return iioValue({ raw, scale, offset }) * c.scale;
  }

  let device: string | undefined;
  try {
    device = await resolveDevice(AbortSignal.timeout(5000));
  } catch (e) {
    // Several devices of that name is a config error; a device not there yet is retried per read.
    if (e instanceof Error && / devices named /.test(e.message)) throw e;
  }

  return {
    async read(signal) {
      device ??= await resolveDevice(signal);
      const dir = join(devicesDir, device);
      const timestamp = new Date();
      const fields: NumericField[] = [];
      // Channels are read one after another: the dht11 driver runs one transfer and serves
      // every channel from it for 2 s, so temp and humidity come from the same measurement.
      for (const c of channels) {
        signal.throwIfAborted();
        let value: number;
        try {
          value = await readChannel(dir, c, signal);
        } catch (e) {
          const code = errCode(e);
          if (code !== undefined && TRANSIENT.has(code)) {
            throw new Error(`iio ${config.device}: reading ${c.channel} failed with ${code} (the next read retries; DHT sensors often fail a read)`, {
              cause: e,
            });
          }
          // Missing files: the device may have been re-numbered (overlay reloaded); resolve again.
          if (device !== config.device) device = undefined;
          throw e;
        }
        fields.push({ type: "numeric", name: c.name, value, unit: c.unit, decimals: c.decimals, timestamp });
      }
      return fields;
    },
    async close() {},
  };
}

export const iio: DriverDefinition<IioConfig> = {
  name: "iio",
  bus: "none",
  description: "Any kernel IIO sensor (DHT11/DHT22, BME280, BH1750, ADS1015...) via sysfs in_*_input / in_*_raw",
  configSchema: iioConfigSchema,
  example: { device: "dht11", channels: [{ channel: "temp" }, { channel: "humidityrelative" }] },
  describeFields: (config) =>
    config.channels.map(resolveChannel).map((c) => ({ name: c.name, type: "numeric" as const, unit: c.unit })),
  open: (config, ctx) => openIio(config, ctx),
};
