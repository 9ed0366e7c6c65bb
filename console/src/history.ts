// History per field: which historical readout each range asks for, the answer as a time series
// (mean with min/max where the Thing aggregates), and that series as CSV. Pure.
import type { ReadField, ReadoutOptions } from "./readout.js";

export type Range = "hour" | "day" | "week";
export const RANGES: readonly Range[] = ["hour", "day", "week"];

/** Raw samples for an hour; minute buckets (mean, min, max) for a day; hour buckets for a week. */
const PLAN: Record<Range, { kind: string; ms: number }> = {
  hour: { kind: "historicalSecond", ms: 3_600_000 },
  day: { kind: "historicalMinute", ms: 86_400_000 },
  week: { kind: "historicalHour", ms: 7 * 86_400_000 },
};

export function historyRequest(range: Range, node: string, field: string, now = Date.now()): ReadoutOptions {
  const p = PLAN[range];
  // The bucketed fields are named "<field>", "<field>, min", "<field>, max".
  const fields = p.kind === "historicalSecond" ? [field] : [field, `${field}, min`, `${field}, max`];
  return { types: [p.kind], nodes: [node], fields, from: new Date(now - p.ms), to: new Date(now) };
}

export interface Series {
  field: string;
  unit?: string;
  /** seconds since the epoch (uPlot's x unit), ascending */
  t: number[];
  v: Array<number | null>;
  min: Array<number | null>;
  max: Array<number | null>;
  hasBand: boolean;
}

export function toSeries(fields: readonly ReadField[], range: Range, field: string): Series {
  const kind = PLAN[range].kind;
  const rows = new Map<number, { v: number | null; min: number | null; max: number | null }>();
  let unit: string | undefined;
  let hasBand = false;
  for (const f of fields) {
    if (!f.flags.includes(kind)) continue;
    const role = f.name === field ? "v" : f.name === `${field}, min` ? "min" : f.name === `${field}, max` ? "max" : undefined;
    if (!role) continue;
    const n = Number(f.value);
    if (!Number.isFinite(n)) continue;
    const row = rows.get(f.time) ?? { v: null, min: null, max: null };
    row[role] = n;
    if (role !== "v") hasBand = true;
    rows.set(f.time, row);
    unit ??= f.unit;
  }
  const times = [...rows.keys()].sort((a, b) => a - b);
  const s: Series = { field, t: [], v: [], min: [], max: [], hasBand, ...(unit !== undefined ? { unit } : {}) };
  for (const t of times) {
    const r = rows.get(t)!;
    s.t.push(t / 1000);
    s.v.push(r.v);
    s.min.push(r.min);
    s.max.push(r.max);
  }
  return s;
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const num = (n: number | null) => (n === null ? "" : String(n));

/** time (ISO 8601), value[, min, max] — what the chart shows. */
export function toCsv(s: Series): string {
  const unit = s.unit ? ` (${s.unit})` : "";
  const head = ["time", `${s.field}${unit}`, ...(s.hasBand ? [`${s.field} min${unit}`, `${s.field} max${unit}`] : [])];
  const lines = [head.map(csvCell).join(",")];
  s.t.forEach((t, i) => {
    const row = [new Date(t * 1000).toISOString(), num(s.v[i] ?? null), ...(s.hasBand ? [num(s.min[i] ?? null), num(s.max[i] ?? null)] : [])];
    lines.push(row.join(","));
  });
  return lines.join("\n") + "\n";
}
