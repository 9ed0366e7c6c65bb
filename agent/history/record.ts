// One flushed batch = one line in a segment file: "<crc32 as 8 hex> <json>\n".
// A line whose checksum does not match, or a last line without its "\n" (the process died
// mid-write), is skipped on read, so a torn write never hides the batches before it.
import type { Unit } from "../../drivers/types.js";
import { crc32 } from "./crc32.js";

export type SampleType = "numeric" | "boolean";

/** One stored value. Booleans are stored as 0/1 with type "boolean". */
export interface Sample {
  nodeId: string;
  name: string;
  type: SampleType;
  unit: Unit;
  decimals: number;
  /** ms since the epoch. */
  t: number;
  value: number;
}

/**
 * Series descriptors once per record, samples as [series index, t - b, value]: a 30 s batch of
 * five fields costs ~15 bytes a sample instead of ~50 with absolute times and full floats.
 */
interface RecordJson {
  b?: number;
  k: Array<[string, string, "n" | "b", string, number]>;
  s: Array<[number, number, number]>;
}

export function encodeRecord(samples: readonly Sample[]): Buffer {
  const keys = new Map<string, number>();
  const base = samples.reduce((m, s) => Math.min(m, s.t), Infinity);
  const json: RecordJson = { b: Number.isFinite(base) ? base : 0, k: [], s: [] };
  for (const s of samples) {
    const key = JSON.stringify([s.nodeId, s.name, s.type, s.unit, s.decimals]);
    let i = keys.get(key);
    if (i === undefined) {
      keys.set(key, (i = json.k.length));
      json.k.push([s.nodeId, s.name, s.type === "boolean" ? "b" : "n", s.unit, s.decimals]);
    }
    json.s.push([i, s.t - json.b!, s.value]);
  }
  const body = Buffer.from(JSON.stringify(json), "utf8");
  return Buffer.concat([Buffer.from(`${crc32(body).toString(16).padStart(8, "0")} `, "ascii"), body, Buffer.from("\n")]);
}

export interface DecodedSegment {
  samples: Sample[];
  /** Lines skipped: bad checksum, bad JSON, or a torn last line. */
  corrupt: number;
}

/** All intact records of a segment file's bytes, in file order. */
export function decodeSegment(buf: Buffer): DecodedSegment {
  const samples: Sample[] = [];
  let corrupt = 0;
  let start = 0;
  while (start < buf.length) {
    const end = buf.indexOf(0x0a, start);
    if (end < 0) {
      corrupt++; // torn tail: the writer died before the newline
      break;
    }
    const line = buf.subarray(start, end);
    start = end + 1;
    if (!decodeLine(line, samples)) corrupt++;
  }
  return { samples, corrupt };
}

function decodeLine(line: Buffer, out: Sample[]): boolean {
  if (line.length < 10 || line[8] !== 0x20) return false;
  const body = line.subarray(9);
  if (Number.parseInt(line.subarray(0, 8).toString("ascii"), 16) !== crc32(body)) return false;
  let json: RecordJson;
  try {
    json = JSON.parse(body.toString("utf8")) as RecordJson;
  } catch {
    return false;
  }
  if (!Array.isArray(json.k) || !Array.isArray(json.s)) return false;
  const base = typeof json.b === "number" ? json.b : 0;
  for (const [i, dt, value] of json.s) {
    const k = json.k[i];
    if (!k || typeof dt !== "number" || typeof value !== "number") return false;
    out.push({ nodeId: k[0], name: k[1], type: k[2] === "b" ? "boolean" : "numeric", unit: k[3] as Unit, decimals: k[4], t: base + dt, value });
  }
  return true;
}
