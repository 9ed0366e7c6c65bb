// UTC bucket boundaries of every XEP-0323 historical period.
import { describe, expect, it } from "vitest";
import { aggregate, bucketStart, nextBucket, PERIODS, type Period } from "../../../agent/history/aggregate.js";
import type { Sample } from "../../../agent/history/record.js";

const iso = (t: number) => new Date(t).toISOString();
const T = Date.parse("2026-08-19T13:47:21.500Z"); // a Wednesday in Q3

describe("bucketStart / nextBucket", () => {
  it.each<[Period, string, string]>([
    ["second", "2026-08-19T13:47:21.000Z", "2026-08-19T13:47:22.000Z"],
    ["minute", "2026-08-19T13:47:00.000Z", "2026-08-19T13:48:00.000Z"],
    ["hour", "2026-08-19T13:00:00.000Z", "2026-08-19T14:00:00.000Z"],
    ["day", "2026-08-19T00:00:00.000Z", "2026-08-20T00:00:00.000Z"],
    ["week", "2026-08-17T00:00:00.000Z", "2026-08-24T00:00:00.000Z"],
    ["month", "2026-08-01T00:00:00.000Z", "2026-09-01T00:00:00.000Z"],
    ["quarter", "2026-07-01T00:00:00.000Z", "2026-10-01T00:00:00.000Z"],
    ["year", "2026-01-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z"],
  ])("%s", (period, start, next) => {
    expect(iso(bucketStart(period, T))).toBe(start);
    expect(iso(nextBucket(period, bucketStart(period, T)))).toBe(next);
  });

  it("a bucket start is its own bucket start, for every period", () => {
    for (const p of PERIODS) {
      const s = bucketStart(p, T);
      expect(bucketStart(p, s)).toBe(s);
      expect(bucketStart(p, nextBucket(p, s) - 1)).toBe(s);
    }
  });

  it("weeks start on Monday, also across a year end", () => {
    expect(iso(bucketStart("week", Date.parse("2027-01-01T12:00:00Z")))).toBe("2026-12-28T00:00:00.000Z");
  });
});

describe("aggregate", () => {
  const s = (t: string, value: number): Sample => ({ nodeId: "n", name: "x", type: "numeric", unit: "°C", decimals: 1, t: Date.parse(t), value });
  it("mean/min/max/count per bucket; buckets whose start lies outside [from, to] are left out", () => {
    const samples = [s("2026-08-19T12:59:59Z", 100), s("2026-08-19T13:00:00Z", 1), s("2026-08-19T13:30:00Z", 3), s("2026-08-19T14:00:00Z", 7)];
    const out = aggregate(samples, "hour", Date.parse("2026-08-19T12:30:00Z"), Date.parse("2026-08-19T14:00:00Z"));
    expect(out.map((b) => [iso(b.start), b.mean, b.min, b.max, b.count])).toStrictEqual([
      ["2026-08-19T13:00:00.000Z", 2, 1, 3, 2],
      ["2026-08-19T14:00:00.000Z", 7, 7, 7, 1],
    ]);
  });
});
