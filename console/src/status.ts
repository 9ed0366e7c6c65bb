// The status panel's data: a Thing's identity fields (driver, model, serial_number,
// thingd_version) and status fields (uptime, read_count, error_count, last_error,
// seconds_since_good_read) per node, as thingd reports them in a readout of the status and
// identity field types (agent/sensordata/node-info.ts). Pure.
import type { ReadField } from "./readout.js";

/** Identity and status fields go to the status panel, not to the value tables. */
export function isInfoField(f: ReadField): boolean {
  return f.flags.includes("status") || f.flags.includes("identity");
}

/** xs:duration in days/hours/minutes/seconds (what thingd writes) → seconds; undefined if not one. */
export function parseXsDuration(s: string): number | undefined {
  const m = /^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(s.trim());
  if (!m || s.trim().endsWith("T") || s.trim() === "P" || s.trim() === "-P") return undefined;
  const [, neg, d = "0", h = "0", min = "0", sec = "0"] = m;
  const total = Number(d) * 86_400 + Number(h) * 3_600 + Number(min) * 60 + Number(sec);
  return neg ? -total : total;
}

/** 93784 → "1 d 2 h", 7500 → "2 h 5 min", 250 → "4 min 10 s", 12 → "12 s". */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const r = s % 60;
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${r} s`;
  return `${r} s`;
}

export interface NodeStatus {
  node: string;
  driver?: string;
  model?: string;
  /** Formatted, e.g. "2 h 5 min". */
  uptime?: string;
  reads?: number;
  errors?: number;
  /** "" when the node never failed. */
  lastError?: string;
  /** When the status fields were read (ms since the epoch). */
  time?: number;
}

export interface ThingStatus {
  version?: string;
  serial?: string;
  nodes: NodeStatus[];
}

const int = (v: string | undefined) => (v === undefined || !/^-?\d+$/.test(v) ? undefined : Number(v));

export function thingStatus(nodes: ReadonlyMap<string, ReadonlyMap<string, ReadField>>): ThingStatus {
  const out: ThingStatus = { nodes: [] };
  for (const [node, fields] of [...nodes].sort(([a], [b]) => a.localeCompare(b))) {
    const get = (name: string) => {
      const f = fields.get(name);
      return f && isInfoField(f) ? f : undefined;
    };
    out.version ??= get("thingd_version")?.value;
    out.serial ??= get("serial_number")?.value;
    const uptime = get("uptime");
    const seconds = uptime ? (parseXsDuration(uptime.value) ?? (Number.isFinite(Number(uptime.value)) ? Number(uptime.value) : undefined)) : undefined;
    const row: NodeStatus = { node };
    const set = <K extends keyof NodeStatus>(k: K, v: NodeStatus[K] | undefined) => {
      if (v !== undefined) row[k] = v;
    };
    set("driver", get("driver")?.value);
    set("model", get("model")?.value);
    set("uptime", seconds === undefined ? undefined : formatUptime(seconds));
    set("reads", int(get("read_count")?.value));
    set("errors", int(get("error_count")?.value));
    set("lastError", get("last_error")?.value);
    set("time", uptime?.time ?? get("error_count")?.time);
    if (Object.keys(row).length > 1) out.nodes.push(row);
  }
  if (out.version === undefined) delete out.version;
  if (out.serial === undefined) delete out.serial;
  return out;
}
