// Plantower PMS5003 particulate sensor on a UART (9600 8N1), in its default active mode: it
// sends a 32-byte frame every 0.2-2.3 s. Datasheet: "Digital universal particle concentration
// sensor PMS5003 series data manual" V2.3 (Plantower, 2016), Appendix I "transport protocol
// - active mode". The fan needs ~30 s after wake-up before values are valid (datasheet §5).
import { z } from "zod";
import { SilenceWatch } from "./silence.js";
import { linkDownError, PendingReads } from "./pending-reads.js";
import type { SerialLink } from "../bus/types.js";
import { hex } from "../hex.js";
import type { DriverDefinition, Field, NumericField, Sensor, Unit } from "../types.js";

// Appendix I frame: start characters 0x42 0x4D, frame length = 2×13 data words + 2 check bytes
// = 28, thirteen big-endian data words, then the check code = 16-bit sum of bytes 0..29.
export const FRAME_SIZE = 32;
const HEADER_0 = 0x42;
const HEADER_1 = 0x4d;
const FRAME_LENGTH = 28;
const CHECK_OFFSET = 30;

/** Data word n (1-based in the datasheet) sits at byte 4 + 2(n-1). Listed in output order. */
const WORDS = [
  // Data 4-6: "under atmospheric environment", the values to show people.
  { name: "pm1_0", offset: 10, unit: "µg/m³" },
  { name: "pm2_5", offset: 12, unit: "µg/m³" },
  { name: "pm10", offset: 14, unit: "µg/m³" },
  // Data 1-3: "CF=1, standard particle" (factory calibration conditions).
  { name: "pm1_0_cf1", offset: 4, unit: "µg/m³" },
  { name: "pm2_5_cf1", offset: 6, unit: "µg/m³" },
  { name: "pm10_cf1", offset: 8, unit: "µg/m³" },
  // Data 7-12: particles beyond a diameter in 0.1 l of air. Data 13 is reserved.
  { name: "particles_0_3", offset: 16, unit: "#/0.1l" },
  { name: "particles_0_5", offset: 18, unit: "#/0.1l" },
  { name: "particles_1_0", offset: 20, unit: "#/0.1l" },
  { name: "particles_2_5", offset: 22, unit: "#/0.1l" },
  { name: "particles_5_0", offset: 24, unit: "#/0.1l" },
  { name: "particles_10", offset: 26, unit: "#/0.1l" },
] as const satisfies ReadonlyArray<{ name: string; offset: number; unit: Unit }>;

export type Pms5003FieldName = (typeof WORDS)[number]["name"];
export type Pms5003Values = Record<Pms5003FieldName, number>;

function checksum(frame: Buffer): number {
  let sum = 0;
  for (let i = 0; i < CHECK_OFFSET; i++) sum += frame[i]!;
  return sum & 0xffff;
}

/** Why `frame` (exactly 32 bytes from a header) is not a valid frame, or undefined if it is. */
function frameProblem(frame: Buffer): string | undefined {
  if (frame.length !== FRAME_SIZE) return `expected ${FRAME_SIZE} bytes, got ${frame.length}`;
  if (frame[0] !== HEADER_0 || frame[1] !== HEADER_1) {
    return `expected header 42 4d, got ${frame.subarray(0, 2).toString("hex")}`;
  }
  const length = frame.readUInt16BE(2);
  if (length !== FRAME_LENGTH) return `expected frame length ${FRAME_LENGTH}, got ${length}`;
  const expected = frame.readUInt16BE(CHECK_OFFSET);
  const actual = checksum(frame);
  if (actual !== expected) return `bad checksum: frame says ${hex(expected, 4)}, bytes sum to ${hex(actual, 4)}`;
  return undefined;
}

/** Decode one 32-byte frame into fields stamped `timestamp`; throws on a malformed frame. */
export function decodeFrame(frame: Buffer, timestamp: Date): Field[] {
  const problem = frameProblem(frame);
  if (problem) throw new Error(`pms5003 frame: ${problem}`);
  return WORDS.map(
    (w): NumericField => ({
      type: "numeric",
      name: w.name,
      value: frame.readUInt16BE(w.offset),
      unit: w.unit,
      decimals: 0,
      timestamp,
    }),
  );
}

/** Encode values into a valid frame (missing values are 0): for the emulator and tests. */
export function buildFrame(values: Partial<Pms5003Values>, reserved = 0): Buffer {
  const frame = Buffer.alloc(FRAME_SIZE);
  frame[0] = HEADER_0;
  frame[1] = HEADER_1;
  frame.writeUInt16BE(FRAME_LENGTH, 2);
  for (const w of WORDS) frame.writeUInt16BE(values[w.name] ?? 0, w.offset);
  frame.writeUInt16BE(reserved, 28);
  frame.writeUInt16BE(checksum(frame), CHECK_OFFSET);
  return frame;
}

/**
 * Cuts a UART byte stream into valid frames. The line has no framing besides the header, so
 * after noise, a dropped byte or attaching mid-frame we search for the next 0x42 0x4D. A bad
 * candidate is skipped by one byte only (not 32): a truncated frame can hide the next real
 * header inside its 32 bytes.
 */
export class FrameParser {
  /** Candidates that started with the header but had a bad length or checksum. */
  badFrames = 0;
  /** Bytes dropped while looking for a header. */
  skippedBytes = 0;
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    let buf = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    const frames: Buffer[] = [];
    for (;;) {
      const start = findHeader(buf);
      if (start < 0) {
        // Keep a trailing 0x42: it may be the first half of a header split across chunks.
        const keep = buf.length > 0 && buf[buf.length - 1] === HEADER_0 ? 1 : 0;
        this.skippedBytes += buf.length - keep;
        buf = buf.subarray(buf.length - keep);
        break;
      }
      this.skippedBytes += start;
      buf = buf.subarray(start);
      if (buf.length >= 4 && buf.readUInt16BE(2) !== FRAME_LENGTH) {
        this.badFrames++; // fail early on the length, without waiting for 32 bytes
        buf = buf.subarray(1);
        continue;
      }
      if (buf.length < FRAME_SIZE) break;
      const candidate = buf.subarray(0, FRAME_SIZE);
      if (frameProblem(candidate)) {
        this.badFrames++;
        buf = buf.subarray(1);
        continue;
      }
      frames.push(Buffer.from(candidate)); // a copy: the caller may keep it past the next push
      buf = buf.subarray(FRAME_SIZE);
    }
    this.#buffer = Buffer.from(buf); // never holds more than one partial frame
    return frames;
  }

  /** Forget a partial frame (after the line was reopened). */
  reset(): void {
    this.#buffer = Buffer.alloc(0);
  }
}

function findHeader(buf: Buffer): number {
  return buf.indexOf(HEADER_HEX);
}
const HEADER_HEX = Buffer.from([HEADER_0, HEADER_1]);

export const pms5003ConfigSchema = z
  .object({
    /** UART device; on a Pi prefer the resolved ttyAMA0/ttyS0, or /dev/serial/by-id for USB. */
    port: z.string().min(1, "expected a serial device path such as /dev/serial0"),
    baud: z.number().int().positive().default(9600),
    /** A frame older than this is not served; active mode sends one at least every 2.3 s. */
    stale_after_ms: z.number().int().positive().default(5000),
  })
  .strict();

export type Pms5003Config = z.infer<typeof pms5003ConfigSchema>;

interface LatestFrame {
  frame: Buffer;
  timestamp: Date;
  /** performance.now() on arrival: wall time jumps on a Pi when NTP first syncs (no RTC). */
  at: number;
}

class Pms5003Sensor implements Sensor {
  readonly parser = new FrameParser();
  readonly #silence: SilenceWatch;
  #latest: LatestFrame | undefined;
  readonly #pending = new PendingReads<Field[]>();
  readonly #unsubscribe: Array<() => void>;

  constructor(
    private readonly config: Pms5003Config,
    private readonly link: SerialLink,
  ) {
    this.#silence = new SilenceWatch(config.port, "PMS5003 frame");
    this.#unsubscribe = [link.onData((chunk) => this.#onData(chunk)), link.onStatus(() => this.#onStatus())];
  }

  diagnose(): string | undefined {
    return this.link.isOpen ? this.#silence.diagnose() : undefined;
  }

  read(signal: AbortSignal): Promise<Field[]> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const down = this.#downError();
    if (down) return Promise.reject(down);
    return this.#pending.read(signal, () => {
      const latest = this.#latest;
      const fresh = latest && performance.now() - latest.at <= this.config.stale_after_ms;
      return fresh ? decodeFrame(latest.frame, latest.timestamp) : undefined;
    });
  }

  async close(): Promise<void> {
    for (const off of this.#unsubscribe) off();
    const closed = new Error(`pms5003 on ${this.config.port}: sensor closed`);
    this.#pending.failAll(closed);
    await this.link.close();
  }

  #onData(chunk: Buffer): void {
    this.#silence.received(chunk.length);
    const frame = this.parser.push(chunk).at(-1); // several in one chunk: the newest wins
    if (!frame) return;
    this.#silence.reset();
    const latest = { frame, timestamp: new Date(), at: performance.now() };
    this.#latest = latest;
    this.#pending.notify();
  }

  #onStatus(): void {
    // A frame from before an unplug must not be served after it, nor half a frame completed.
    this.#latest = undefined;
    this.parser.reset();
    this.#silence.reset();
    const down = this.#downError();
    if (down) this.#pending.failAll(down);
  }

  #downError(): Error | undefined {
    return linkDownError(this.link, `pms5003 on ${this.config.port}`);
  }
}

export const pms5003: DriverDefinition<Pms5003Config> = {
  name: "pms5003",
  bus: "serial",
  description: "Plantower PMS5003 particulate matter sensor (PM1.0/2.5/10 and particle counts) on a UART",
  configSchema: pms5003ConfigSchema,
  example: { port: "/dev/serial0" },
  describeFields: () => WORDS.map((w) => ({ name: w.name, type: "numeric" as const, unit: w.unit })),
  async open(config, ctx): Promise<Sensor> {
    // Active mode needs no command: the sensor starts streaming at power-up.
    const link = ctx.bus.serial({ path: config.port, baudRate: config.baud }, ctx.log);
    return new Pms5003Sensor(config, link);
  },
};
