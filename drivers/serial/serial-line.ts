// A device that prints text lines on a UART or USB serial port (an Arduino sketch doing
// `Serial.println("temp=21.5")`, a meter with an ASCII output). Each configured field has a
// regex with one capture group; the newest value of each field is kept, and a read serves
// those seen within stale_after_ms.
import { z } from "zod";
import { linkDownError, PendingReads } from "./pending-reads.js";
import { SilenceWatch } from "./silence.js";
import type { SerialLink } from "../bus/types.js";
import { UNITS, type DriverDefinition, type Field, type Sensor, type Unit } from "../types.js";

/** Number of capture groups in a (valid) regex source. */
function captureGroups(source: string): number {
  return new RegExp(`${source}|`).exec("")!.length - 1;
}

function regexProblem(source: string): string | undefined {
  let groups: number;
  try {
    groups = captureGroups(source);
  } catch (err) {
    return `invalid regex: ${(err as Error).message}`;
  }
  return groups === 1 ? undefined : `expected exactly one capture group, found ${groups}`;
}

const fieldSchema = z
  .object({
    name: z.string().min(1),
    /** A JavaScript regex with exactly one capture group, e.g. "^temp=(-?[0-9.]+)$". */
    pattern: z.string().min(1).superRefine((source, ctx) => {
      const problem = regexProblem(source);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
    unit: z.enum(UNITS).default(""),
    decimals: z.number().int().min(0).max(10).default(0),
    type: z.enum(["numeric", "boolean", "string"]).default("numeric"),
  })
  .strict();

export const serialLineConfigSchema = z
  .object({
    port: z.string().min(1, "expected a serial device path such as /dev/ttyACM0"),
    baud: z.number().int().positive().default(9600),
    line_end: z.string().min(1).default("\n"),
    fields: z
      .array(fieldSchema)
      .min(1)
      .superRefine((fields, ctx) => {
        const seen = new Set<string>();
        for (const [i, f] of fields.entries()) {
          if (seen.has(f.name)) ctx.addIssue({ code: "custom", message: `duplicate field name "${f.name}"`, path: [i, "name"] });
          seen.add(f.name);
        }
      }),
    stale_after_ms: z.number().int().positive().default(10_000),
  })
  .strict();

export type SerialLineConfig = z.infer<typeof serialLineConfigSchema>;
export type SerialLineFieldConfig = SerialLineConfig["fields"][number];

export interface CompiledField {
  name: string;
  regex: RegExp;
  unit: Unit;
  decimals: number;
  type: "numeric" | "boolean" | "string";
}

export function compileFields(fields: readonly SerialLineFieldConfig[]): CompiledField[] {
  return fields.map((f) => ({ name: f.name, regex: new RegExp(f.pattern), unit: f.unit, decimals: f.decimals, type: f.type }));
}

const TRUE = /^(1|true|on|yes|high)$/i;
const FALSE = /^(0|false|off|no|low)$/i;

/**
 * The fields `line` carries, in config order, stamped `timestamp`. A capture that does not
 * convert (numeric "abc", boolean "maybe") is skipped, not reported as a value.
 */
export function extractFields(line: string, compiled: readonly CompiledField[], timestamp: Date = new Date()): Field[] {
  const out: Field[] = [];
  for (const f of compiled) {
    const raw = f.regex.exec(line)?.[1];
    if (raw === undefined) continue;
    const text = raw.trim();
    if (f.type === "numeric") {
      const value = text === "" ? NaN : Number(text);
      if (Number.isFinite(value)) out.push({ type: "numeric", name: f.name, value, unit: f.unit, decimals: f.decimals, timestamp });
    } else if (f.type === "boolean") {
      if (TRUE.test(text)) out.push({ type: "boolean", name: f.name, value: true, timestamp });
      else if (FALSE.test(text)) out.push({ type: "boolean", name: f.name, value: false, timestamp });
    } else {
      out.push({ type: "string", name: f.name, value: raw, timestamp });
    }
  }
  return out;
}

/** Cuts a byte stream into text lines (UTF-8); a trailing "\r" is dropped for "\n" endings. */
export class LineSplitter {
  /** Lines longer than this are dropped (a device without line ends must not grow memory). */
  droppedLines = 0;
  #pending = "";
  readonly #decoder = new TextDecoder("utf-8");

  constructor(
    private readonly lineEnd = "\n",
    private readonly maxLength = 4096,
  ) {}

  push(chunk: Buffer): string[] {
    this.#pending += this.#decoder.decode(chunk, { stream: true });
    const parts = this.#pending.split(this.lineEnd);
    this.#pending = parts.pop() ?? "";
    if (this.#pending.length > this.maxLength) {
      this.#pending = "";
      this.droppedLines++;
    }
    const lines: string[] = [];
    for (let line of parts) {
      if (this.lineEnd === "\n" && line.endsWith("\r")) line = line.slice(0, -1);
      if (line.length > this.maxLength) this.droppedLines++;
      else lines.push(line);
    }
    return lines;
  }

  reset(): void {
    this.#pending = "";
  }
}

/** What a line-fed sensor driver plugs into LineFedSensor. */
export interface LineHandler {
  /** A complete line arrived. */
  onLine(line: string, at: number): void;
  /** Fields fresh at `now` (performance.now()); empty if none. */
  fresh(now: number): Field[];
  /** The link went down or reopened: forget everything seen before. */
  reset(): void;
}

/**
 * The read side shared by line-oriented serial drivers (serial-line, nmea), after pms5003:
 * a read serves fresh values at once, otherwise waits for a line that brings some (until the
 * signal aborts); while the link is down it rejects at once.
 */
export class LineFedSensor implements Sensor {
  readonly splitter: LineSplitter;
  readonly #pending = new PendingReads<Field[]>();
  readonly #unsubscribe: Array<() => void>;
  readonly #silence: SilenceWatch;
  readonly diagnose: () => string | undefined;

  constructor(
    private readonly label: string,
    private readonly link: SerialLink,
    private readonly handler: LineHandler,
    lineEnd = "\n",
    /** The port, for the timeout diagnosis. */
    port = label,
  ) {
    this.splitter = new LineSplitter(lineEnd);
    this.#silence = new SilenceWatch(port, "line with a configured field");
    this.diagnose = () => (this.link.isOpen ? this.#silence.diagnose() : undefined);
    this.#unsubscribe = [link.onData((chunk) => this.#onData(chunk)), link.onStatus(() => this.#onStatus())];
  }

  read(signal: AbortSignal): Promise<Field[]> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const down = this.#downError();
    if (down) return Promise.reject(down);
    return this.#pending.read(signal, () => {
      const fields = this.handler.fresh(performance.now());
      return fields.length > 0 ? fields : undefined;
    });
  }

  async close(): Promise<void> {
    for (const off of this.#unsubscribe) off();
    const closed = new Error(`${this.label}: sensor closed`);
    this.#pending.failAll(closed);
    await this.link.close();
  }

  #onData(chunk: Buffer): void {
    this.#silence.received(chunk.length);
    const lines = this.splitter.push(chunk);
    if (lines.length === 0) return;
    const at = performance.now();
    for (const line of lines) this.handler.onLine(line, at);
    if (this.handler.fresh(at).length > 0) this.#silence.reset();
    this.#pending.notify();
  }

  #onStatus(): void {
    // Values from before an unplug are not served after it, nor half a line completed.
    this.handler.reset();
    this.splitter.reset();
    this.#silence.reset();
    const down = this.#downError();
    if (down) this.#pending.failAll(down);
  }

  #downError(): Error | undefined {
    return linkDownError(this.link, this.label);
  }
}

/** Latest value per configured field, with its arrival time. */
class LatestFields implements LineHandler {
  readonly #latest = new Map<string, { field: Field; at: number }>();

  constructor(
    private readonly compiled: readonly CompiledField[],
    private readonly staleAfterMs: number,
  ) {}

  onLine(line: string, at: number): void {
    for (const field of extractFields(line, this.compiled)) this.#latest.set(field.name, { field, at });
  }

  fresh(now: number): Field[] {
    const out: Field[] = [];
    for (const f of this.compiled) {
      const seen = this.#latest.get(f.name);
      if (seen && now - seen.at <= this.staleAfterMs) out.push(seen.field);
    }
    return out;
  }

  reset(): void {
    this.#latest.clear();
  }
}

export const serialLine: DriverDefinition<SerialLineConfig> = {
  name: "serial-line",
  bus: "serial",
  description: "A device printing text lines (e.g. an Arduino); fields extracted by regex",
  configSchema: serialLineConfigSchema,
  example: {
    port: "/dev/ttyACM0",
    baud: 115200,
    fields: [
      { name: "temperature", pattern: "^T=(-?[0-9.]+)", unit: "°C", decimals: 1 },
      { name: "door_open", pattern: "door=(\\w+)", type: "boolean" },
    ],
  },
  describeFields: (config) =>
    config.fields.map((f) => (f.type === "numeric" ? { name: f.name, type: f.type, unit: f.unit } : { name: f.name, type: f.type })),
  async open(config, ctx): Promise<Sensor> {
    const link = ctx.bus.serial({ path: config.port, baudRate: config.baud }, ctx.log);
    const handler = new LatestFields(compileFields(config.fields), config.stale_after_ms);
    return new LineFedSensor(`serial-line on ${config.port}`, link, handler, config.line_end, config.port);
  },
};
