// Winsen MH-Z19 / MH-Z19B NDIR CO₂ sensor on a UART (9600 8N1), query/response.
// Datasheet: "Intelligent Infrared CO2 Module (Model: MH-Z19B) User's Manual" V1.0 (Winsen),
// §"Communication protocol": every command and reply is 9 bytes, byte 0 = 0xFF, byte 8 =
// check value = (NOT (byte1 + … + byte7)) + 1. Command 0x86 "read CO₂ concentration" answers
// FF 86 HIGH LOW …; command 0x79 turns automatic baseline calibration (ABC) on (byte 3 = 0xA0)
// or off (0x00) and has no reply. ABC is on from the factory; turn it off where the sensor
// never sees fresh (~400 ppm) air, such as greenhouses.
import { z } from "zod";
import { linkDownError } from "./pending-reads.js";
import type { SerialLink } from "../bus/types.js";
import type { DriverDefinition, Field, Sensor } from "../types.js";

export const PACKET_SIZE = 9;
const START = 0xff;
const SENSOR_NUMBER = 0x01;
export const CMD_READ_CO2 = 0x86;
export const CMD_ABC = 0x79;

/** Check value over bytes 1..7 of a 9-byte packet: 0xFF − sum + 1, mod 256 (datasheet). */
export function checksum(packet: Buffer): number {
  let sum = 0;
  for (let i = 1; i <= 7; i++) sum += packet[i] ?? 0;
  return (0xff - (sum & 0xff) + 1) & 0xff;
}

/** A 9-byte command: FF 01 <command> <data 0..4 bytes, zero-padded> <check>. */
export function buildCommand(command: number, data: readonly number[] = []): Buffer {
  if (data.length > 5) throw new Error(`mhz19 command: at most 5 data bytes, got ${data.length}`);
  const packet = Buffer.alloc(PACKET_SIZE);
  packet[0] = START;
  packet[1] = SENSOR_NUMBER;
  packet[2] = command & 0xff;
  data.forEach((b, i) => (packet[3 + i] = b & 0xff));
  packet[8] = checksum(packet);
  return packet;
}

/** FF 01 86 00 00 00 00 00 79 */
export const READ_CO2_COMMAND = buildCommand(CMD_READ_CO2);

export interface Mhz19Reading {
  /** CO₂ in ppm = HIGH·256 + LOW. */
  co2: number;
  /**
   * Byte 4 − 40, in °C. Undocumented in the MH-Z19B manual (community-decoded); it is the
   * sensor's internal temperature, coarse (1 °C steps) and warmed by the lamp: approximate.
   */
  temperature: number;
}

/** Decode a 0x86 reply (exactly 9 bytes); throws naming what is wrong. */
export function parseResponse(packet: Buffer): Mhz19Reading {
  if (packet.length !== PACKET_SIZE) throw new Error(`mhz19 reply: expected ${PACKET_SIZE} bytes, got ${packet.length}`);
  if (packet[0] !== START || packet[1] !== CMD_READ_CO2) {
    throw new Error(`mhz19 reply: expected header ff 86, got ${packet.subarray(0, 2).toString("hex")}`);
  }
  const expected = packet[8]!;
  const actual = checksum(packet);
  if (expected !== actual) {
    throw new Error(`mhz19 reply: bad checksum: reply says 0x${hex2(expected)}, bytes give 0x${hex2(actual)}`);
  }
  return { co2: packet[2]! * 256 + packet[3]!, temperature: packet[4]! - 40 };
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}

/** A valid 0x86 reply for the emulator and tests. */
export function buildResponse(co2: number, temperature = 25): Buffer {
  const packet = Buffer.alloc(PACKET_SIZE);
  packet[0] = START;
  packet[1] = CMD_READ_CO2;
  packet[2] = (co2 >> 8) & 0xff;
  packet[3] = co2 & 0xff;
  packet[4] = (temperature + 40) & 0xff;
  packet[8] = checksum(packet);
  return packet;
}

export function readingToFields(reading: Mhz19Reading, timestamp: Date): Field[] {
  return [
    { type: "numeric", name: "co2", value: reading.co2, unit: "ppm", decimals: 0, timestamp },
    // Approximate (see Mhz19Reading.temperature): not a substitute for a real thermometer.
    { type: "numeric", name: "temperature", value: reading.temperature, unit: "°C", decimals: 0, timestamp },
  ];
}

/**
 * Finds a reply in the byte stream: resyncs on FF 86 (noise and partial replies before it are
 * dropped), then waits for 9 bytes. Returns the candidate packet (checksum not yet checked).
 */
export class ReplyParser {
  skippedBytes = 0;
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer | undefined {
    let buf = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    const start = buf.indexOf(HEADER);
    if (start < 0) {
      const keep = buf.length > 0 && buf[buf.length - 1] === START ? 1 : 0;
      this.skippedBytes += buf.length - keep;
      this.#buffer = Buffer.from(buf.subarray(buf.length - keep));
      return undefined;
    }
    this.skippedBytes += start;
    buf = buf.subarray(start);
    if (buf.length < PACKET_SIZE) {
      this.#buffer = Buffer.from(buf);
      return undefined;
    }
    const packet = Buffer.from(buf.subarray(0, PACKET_SIZE));
    this.#buffer = Buffer.alloc(0); // one reply per query; anything after it is noise
    return packet;
  }

  reset(): void {
    this.#buffer = Buffer.alloc(0);
  }
}
const HEADER = Buffer.from([START, CMD_READ_CO2]);

export const mhz19ConfigSchema = z
  .object({
    port: z.string().min(1, "expected a serial device path such as /dev/serial0"),
    baud: z.number().int().positive().default(9600),
    /** Automatic baseline calibration; sent (0x79) each time the link opens. */
    abc: z.boolean().default(true),
  })
  .strict();

export type Mhz19Config = z.infer<typeof mhz19ConfigSchema>;

interface Query {
  reply(packet: Buffer): void;
  down(err: Error): void;
}

class Mhz19Sensor implements Sensor {
  readonly parser = new ReplyParser();
  #query: Query | undefined;
  /** Tail of the chain of reads: only one query is on the line at a time. */
  #turn: Promise<void> = Promise.resolve();
  readonly #unsubscribe: Array<() => void>;
  #closed = false;

  constructor(
    private readonly config: Mhz19Config,
    private readonly link: SerialLink,
    private readonly log: DriverLog,
  ) {
    this.#unsubscribe = [link.onData((chunk) => this.#onData(chunk)), link.onStatus(() => this.#onStatus())];
    if (link.isOpen) this.#applyAbc();
  }

  read(signal: AbortSignal): Promise<Field[]> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const down = this.#downError();
    if (down) return Promise.reject(down);
    const previous = this.#turn;
    let release!: () => void;
    this.#turn = new Promise<void>((r) => (release = r));
    const run = async (): Promise<Field[]> => {
      try {
        await abortable(previous, signal);
        await this.#whenOpen(signal);
        return await this.#query1(signal);
      } finally {
        release();
      }
    };
    return run();
  }

  /** While the port is first opening, wait for it (a read right after open must not fail). */
  #whenOpen(signal: AbortSignal): Promise<void> {
    if (this.link.isOpen || this.#downError() || this.#closed) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = (fn: () => void) => {
        off();
        signal.removeEventListener("abort", onAbort);
        fn();
      };
      const off = this.link.onStatus(() => {
        if (this.link.isOpen || this.#downError()) done(resolve);
      });
      const onAbort = () => done(() => reject(signal.reason));
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #query1(signal: AbortSignal): Promise<Field[]> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const down = this.#downError();
    if (down) return Promise.reject(down);
    if (this.#closed) return Promise.reject(this.#closedError());
    return new Promise<Field[]>((resolve, reject) => {
      const settle = (fn: () => void) => {
        if (this.#query !== query) return;
        this.#query = undefined;
        signal.removeEventListener("abort", onAbort);
        fn();
      };
      const query: Query = {
        reply: (packet) =>
          settle(() => {
            try {
              resolve(readingToFields(parseResponse(packet), new Date()));
            } catch (err) {
              reject(new Error(`mhz19 on ${this.config.port}: ${(err as Error).message}`));
            }
          }),
        down: (err) => settle(() => reject(err)),
      };
      const onAbort = () => settle(() => reject(signal.reason));
      this.parser.reset(); // a late reply to an aborted query must not answer this one
      this.#query = query;
      signal.addEventListener("abort", onAbort, { once: true });
      this.link.write(READ_CO2_COMMAND).catch((err: Error) =>
        query.down(new Error(`mhz19 on ${this.config.port}: sending the query failed: ${err.message}`)),
      );
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const off of this.#unsubscribe) off();
    this.#query?.down(this.#closedError());
    await this.link.close();
  }

  #closedError(): Error {
    return new Error(`mhz19 on ${this.config.port}: sensor closed`);
  }

  #onData(chunk: Buffer): void {
    if (!this.#query) return; // nothing asked: unsolicited bytes are noise
    const packet = this.parser.push(chunk);
    if (packet) this.#query.reply(packet);
  }

  #onStatus(): void {
    this.parser.reset();
    const down = this.#downError();
    if (down) this.#query?.down(down);
    else if (this.link.isOpen) this.#applyAbc(); // again after a replug: the sensor may have lost power
  }

  #applyAbc(): void {
    const command = buildCommand(CMD_ABC, [this.config.abc ? 0xa0 : 0x00]);
    this.link.write(command).then(
      () => this.log.debug({ abc: this.config.abc }, "mhz19 ABC set"),
      (err: unknown) => this.log.warn({ err }, "mhz19: setting ABC failed"),
    );
  }

  #downError(): Error | undefined {
    return linkDownError(this.link, `mhz19 on ${this.config.port}`);
  }
}

type DriverLog = Pick<import("pino").Logger, "debug" | "warn">;

/** Wait for `p`, or reject with the signal's reason when it aborts first. */
function abortable(p: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, reject);
  });
}

export const mhz19: DriverDefinition<Mhz19Config> = {
  name: "mhz19",
  bus: "serial",
  description: "Winsen MH-Z19/MH-Z19B NDIR CO₂ sensor on a UART (query/response)",
  configSchema: mhz19ConfigSchema,
  example: { port: "/dev/serial0", abc: false },
  describeFields: () => [
    { name: "co2", type: "numeric", unit: "ppm" },
    { name: "temperature", type: "numeric", unit: "°C" },
  ],
  async open(config, ctx): Promise<Sensor> {
    const link = ctx.bus.serial({ path: config.port, baudRate: config.baud }, ctx.log);
    return new Mhz19Sensor(config, link, ctx.log);
  },
};
