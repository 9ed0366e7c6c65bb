// Per-period buckets (XEP-0323 historical periods) over stored samples: mean/min/max/count.
// Buckets are aligned in UTC (the Thing's local zone is not used): a day starts at 00:00Z,
// a week on Monday 00:00Z (ISO 8601), a quarter on Jan/Apr/Jul/Oct 1st.
import type { Sample, SampleType } from "./record.js";
import type { Unit } from "../../drivers/types.js";

export const PERIODS = ["second", "minute", "hour", "day", "week", "month", "quarter", "year"] as const;
export type Period = (typeof PERIODS)[number];

const FIXED_MS: Partial<Record<Period, number>> = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONDAY_EPOCH = Date.UTC(1970, 0, 5); // a Monday

/** Start (ms) of the bucket holding `t`. */
export function bucketStart(period: Period, t: number): number {
  const fixed = FIXED_MS[period];
  if (fixed) return Math.floor(t / fixed) * fixed;
  if (period === "week") return MONDAY_EPOCH + Math.floor((t - MONDAY_EPOCH) / (7 * 86_400_000)) * 7 * 86_400_000;
  const d = new Date(t);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (period === "month") return Date.UTC(y, m, 1);
  if (period === "quarter") return Date.UTC(y, m - (m % 3), 1);
  return Date.UTC(y, 0, 1);
}

/** Start of the bucket after the one starting at `start`. */
export function nextBucket(period: Period, start: number): number {
  const fixed = FIXED_MS[period];
  if (fixed) return start + fixed;
  if (period === "week") return start + 7 * 86_400_000;
  const d = new Date(start);
  const months = period === "month" ? 1 : period === "quarter" ? 3 : 12;
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1);
}

/** First bucket start >= t. */
export function firstBucketFrom(period: Period, t: number): number {
  const s = bucketStart(period, t);
  return s === t ? s : nextBucket(period, s);
}

export interface Bucket {
  nodeId: string;
  name: string;
  type: SampleType;
  unit: Unit;
  decimals: number;
  /** Bucket start, ms. */
  start: number;
  mean: number;
  min: number;
  max: number;
  count: number;
}

/** A bucket being built: sums instead of means, so partial buckets merge (hour partials). */
export interface PartialBucket extends Omit<Bucket, "mean"> {
  sum: number;
  /** Time of the newest sample: its unit, decimals and type win. */
  lastT: number;
}

export type Buckets = Map<string, PartialBucket>;

/** Add one sample to the bucket starting at `start`. */
export function addSample(into: Buckets, s: Sample, start: number): void {
  addPartial(into, { nodeId: s.nodeId, name: s.name, type: s.type, unit: s.unit, decimals: s.decimals, start, sum: s.value, count: 1, min: s.value, max: s.value, lastT: s.t }, start);
}

/** Merge a partial bucket (e.g. one hour) into the bucket starting at `start`. */
export function addPartial(into: Buckets, p: PartialBucket, start: number): void {
  const key = `${p.nodeId}\u0000${p.name}\u0000${start}`;
  const b = into.get(key);
  if (!b) {
    into.set(key, { ...p, start });
    return;
  }
  b.count += p.count;
  b.sum += p.sum;
  b.min = Math.min(b.min, p.min);
  b.max = Math.max(b.max, p.max);
  if (p.lastT >= b.lastT) Object.assign(b, { lastT: p.lastT, type: p.type, unit: p.unit, decimals: p.decimals });
}

/** Finished buckets, sorted by node, name, then start. */
export function finishBuckets(buckets: Buckets): Bucket[] {
  return [...buckets.values()]
    .map(({ sum, lastT: _lastT, ...b }) => ({ ...b, mean: sum / b.count }))
    .sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : a.start - b.start));
}

/**
 * Buckets of `period` whose start lies in [from, to] (both inclusive); each aggregates all
 * samples in [start, next start). Unit and decimals are those of the bucket's newest sample.
 * Sorted by node, name, then start.
 */
export function aggregate(samples: readonly Sample[], period: Period, from: number, to: number): Bucket[] {
  const first = firstBucketFrom(period, from);
  const buckets: Buckets = new Map();
  for (const s of samples) {
    const start = bucketStart(period, s.t);
    if (start >= first && start <= to) addSample(buckets, s, start);
  }
  return finishBuckets(buckets);
}

/** The sample range a query for buckets starting in [from, to] must read: [lo, hi). */
export function sampleRange(period: Period, from: number, to: number): { lo: number; hi: number } {
  return { lo: firstBucketFrom(period, from), hi: nextBucket(period, bucketStart(period, to)) };
}
