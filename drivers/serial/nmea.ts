// A GPS/GNSS receiver printing NMEA 0183 sentences on a UART or USB serial port (typically
// 9600 8N1, one GGA and one RMC per second). NMEA 0183 (v4.11) §5.2.1: a sentence is
// "$" + address (2-letter talker: GP GPS, GL GLONASS, GA Galileo, GB/BD BeiDou, GN multi-GNSS
// + 3-letter formatter) + comma-separated fields + "*hh", hh = XOR of every character between
// "$" and "*" in hex. Positions are ddmm.mmmm / dddmm.mmmm with N/S, E/W hemispheres.
import { z } from "zod";
import type { DriverDefinition, Field, Sensor } from "../types.js";
import { LineFedSensor, type LineHandler } from "./serial-line.js";

/** Knots to km/h: 1 international nautical mile = 1852 m. */
const KNOTS_TO_KMH = 1.852;

export interface GgaSentence {
  type: "GGA";
  talker: string;
  /** Fix quality (field 6): 0 invalid, 1 GPS, 2 DGPS, 4/5 RTK, 6 dead reckoning, … */
  quality: number;
  fix: boolean;
  satellites?: number;
  latitude?: number;
  longitude?: number;
  /** Antenna altitude above mean sea level (field 9), metres. */
  altitude?: number;
}

export interface RmcSentence {
  type: "RMC";
  talker: string;
  /** Status (field 2): A = data valid, V = navigation receiver warning. */
  fix: boolean;
  latitude?: number;
  longitude?: number;
  /** Speed over ground, km/h (from knots in field 7). */
  speed?: number;
}

export type NmeaSentence = GgaSentence | RmcSentence;

export class NmeaChecksumError extends Error {
  override name = "NmeaChecksumError";
}

/** XOR of the characters between "$" and "*" (NMEA 0183 §5.2.1.1). */
export function nmeaChecksum(body: string): number {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i) & 0xff;
  return x;
}

function round(value: number, decimals: number): number {
  return Number(value.toFixed(decimals));
}

/** "4807.038","N" → 48.1173; "" → undefined. Throws on a malformed coordinate. */
function coordinate(value: string | undefined, hemisphere: string | undefined, degreeDigits: 2 | 3): number | undefined {
  if (!value) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value) || value.indexOf(".") !== -1 && value.indexOf(".") < degreeDigits + 2) {
    throw new Error(`nmea: malformed coordinate "${value}"`);
  }
  const degrees = Number(value.slice(0, degreeDigits));
  const minutes = Number(value.slice(degreeDigits));
  if (minutes >= 60) throw new Error(`nmea: malformed coordinate "${value}"`);
  const decimal = degrees + minutes / 60;
  const negative = degreeDigits === 2 ? hemisphere === "S" : hemisphere === "W";
  const positive = degreeDigits === 2 ? hemisphere === "N" : hemisphere === "E";
  if (!negative && !positive) throw new Error(`nmea: bad hemisphere "${hemisphere ?? ""}" for "${value}"`);
  return round(negative ? -decimal : decimal, 6);
}

function number(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`nmea: malformed number "${value}"`);
  return n;
}

/**
 * Parse one sentence. Returns undefined for a well-formed sentence we don't use (GSV, VTG, …);
 * throws NmeaChecksumError on a missing or wrong checksum and Error on a malformed GGA/RMC.
 * Without a fix no position is returned (receivers repeat the last one or send empty fields).
 */
export function parseNmeaSentence(line: string): NmeaSentence | undefined {
  const text = line.trim();
  const m = /^\$([^*$]*)\*([0-9A-Fa-f]{2})$/.exec(text);
  if (!m) {
    if (text.startsWith("$")) throw new NmeaChecksumError(`nmea: missing checksum in "${text}"`);
    throw new Error(`nmea: not a sentence: "${text}"`);
  }
  const body = m[1]!;
  const expected = parseInt(m[2]!, 16);
  const actual = nmeaChecksum(body);
  if (actual !== expected) {
    throw new NmeaChecksumError(
      `nmea: bad checksum: sentence says ${hex2(expected)}, characters give ${hex2(actual)}`,
    );
  }
  const f = body.split(",");
  const address = f[0] ?? "";
  if (!/^[A-Z]{2}[A-Z]{3}$/.test(address)) return undefined; // proprietary ($P…) and others
  const talker = address.slice(0, 2);
  const formatter = address.slice(2);
  if (formatter === "GGA") {
    // GGA: 1 time, 2-3 latitude N/S, 4-5 longitude E/W, 6 quality, 7 satellites in use,
    // 8 HDOP, 9-10 altitude M, 11-12 geoid separation M, 13 DGPS age, 14 station id.
    const quality = number(f[6]) ?? 0;
    const fix = quality > 0;
    const sentence: GgaSentence = { type: "GGA", talker, quality, fix };
    const satellites = number(f[7]);
    if (satellites !== undefined) sentence.satellites = satellites;
    if (fix) {
      const latitude = coordinate(f[2], f[3], 2);
      const longitude = coordinate(f[4], f[5], 3);
      if (latitude !== undefined && longitude !== undefined) Object.assign(sentence, { latitude, longitude });
      const altitude = number(f[9]);
      if (altitude !== undefined) sentence.altitude = round(altitude, 1);
    }
    return sentence;
  }
  if (formatter === "RMC") {
    // RMC: 1 time, 2 status A/V, 3-4 latitude, 5-6 longitude, 7 speed (knots), 8 course,
    // 9 date, 10-11 magnetic variation, 12 mode (NMEA 2.3+; N = data not valid).
    const fix = f[2] === "A" && f[12] !== "N";
    const sentence: RmcSentence = { type: "RMC", talker, fix };
    if (fix) {
      const latitude = coordinate(f[3], f[4], 2);
      const longitude = coordinate(f[5], f[6], 3);
      if (latitude !== undefined && longitude !== undefined) Object.assign(sentence, { latitude, longitude });
      const knots = number(f[7]);
      if (knots !== undefined) sentence.speed = round(knots * KNOTS_TO_KMH, 1);
    }
    return sentence;
  }
  return undefined;
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, "0");
}

/** `$<body>*hh` with the right checksum: for the emulator and tests. */
export function formatNmeaSentence(body: string): string {
  return `$${body}*${hex2(nmeaChecksum(body))}`;
}

export const nmeaConfigSchema = z
  .object({
    port: z.string().min(1, "expected a serial device path such as /dev/ttyACM0"),
    baud: z.number().int().positive().default(9600),
    /** Receivers send GGA/RMC every second; older sentences are not served. */
    stale_after_ms: z.number().int().positive().default(5000),
  })
  .strict();

export type NmeaConfig = z.infer<typeof nmeaConfigSchema>;

interface Seen<T> {
  sentence: T;
  timestamp: Date;
  at: number;
}

/** Latest GGA and RMC; fields are merged from whichever are fresh. */
export class NmeaState implements LineHandler {
  badChecksums = 0;
  malformed = 0;
  #gga: Seen<GgaSentence> | undefined;
  #rmc: Seen<RmcSentence> | undefined;

  constructor(private readonly staleAfterMs: number) {}

  onLine(line: string, at: number): void {
    if (!line.trim().startsWith("$")) return; // boot banners, blank lines
    let sentence: NmeaSentence | undefined;
    try {
      sentence = parseNmeaSentence(line);
    } catch (err) {
      if (err instanceof NmeaChecksumError) this.badChecksums++;
      else this.malformed++;
      return;
    }
    if (sentence?.type === "GGA") this.#gga = { sentence, timestamp: new Date(), at };
    else if (sentence?.type === "RMC") this.#rmc = { sentence, timestamp: new Date(), at };
  }

  fresh(now: number): Field[] {
    const ok = <T>(s: Seen<T> | undefined) => (s && now - s.at <= this.staleAfterMs ? s : undefined);
    const gga = ok(this.#gga);
    const rmc = ok(this.#rmc);
    if (!gga && !rmc) return [];
    // The newest sentence decides whether there is a fix.
    const newest: Seen<NmeaSentence> = !rmc || (gga && gga.at >= rmc.at) ? gga! : rmc;
    const fields: Field[] = [{ type: "boolean", name: "fix", value: newest.sentence.fix, timestamp: newest.timestamp }];
    if (newest.sentence.fix) {
      const withPosition = [newest, gga, rmc].find((s) => s?.sentence.fix && s.sentence.latitude !== undefined);
      if (withPosition) {
        const { latitude, longitude } = withPosition.sentence;
        const timestamp = withPosition.timestamp;
        fields.push({ type: "numeric", name: "latitude", value: latitude!, unit: "°", decimals: 6, timestamp });
        fields.push({ type: "numeric", name: "longitude", value: longitude!, unit: "°", decimals: 6, timestamp });
      }
      if (gga?.sentence.fix && gga.sentence.altitude !== undefined) {
        fields.push({ type: "numeric", name: "altitude", value: gga.sentence.altitude, unit: "m", decimals: 1, timestamp: gga.timestamp });
      }
    }
    if (gga?.sentence.satellites !== undefined) {
      fields.push({ type: "numeric", name: "satellites", value: gga.sentence.satellites, unit: "", decimals: 0, timestamp: gga.timestamp });
    }
    if (newest.sentence.fix && rmc?.sentence.fix && rmc.sentence.speed !== undefined) {
      fields.push({ type: "numeric", name: "speed", value: rmc.sentence.speed, unit: "km/h", decimals: 1, timestamp: rmc.timestamp });
    }
    return fields;
  }

  reset(): void {
    this.#gga = this.#rmc = undefined;
  }
}

export const nmea: DriverDefinition<NmeaConfig> = {
  name: "nmea",
  bus: "serial",
  description: "GPS/GNSS receiver speaking NMEA 0183 (GGA + RMC): position, altitude, fix, speed",
  configSchema: nmeaConfigSchema,
  example: { port: "/dev/ttyACM0", baud: 9600 },
  describeFields: () => [
    { name: "fix", type: "boolean" },
    { name: "latitude", type: "numeric", unit: "°" },
    { name: "longitude", type: "numeric", unit: "°" },
    { name: "altitude", type: "numeric", unit: "m" },
    { name: "satellites", type: "numeric", unit: "" },
    { name: "speed", type: "numeric", unit: "km/h" },
  ],
  async open(config, ctx): Promise<Sensor> {
    const link = ctx.bus.serial({ path: config.port, baudRate: config.baud }, ctx.log);
    // NMEA 0183 §5.2: sentences end in <CR><LF>; the splitter drops the CR.
    return new LineFedSensor(`nmea on ${config.port}`, link, new NmeaState(config.stale_after_ms), "\n");
  },
};
