// The history store on a real temp folder: batching, restart, retention, window edges.
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HistoryStore, type HistoryStoreOptions } from "../../../agent/history/store.js";
import { decodeSegment, encodeRecord } from "../../../agent/history/record.js";
import { aggregate, PERIODS } from "../../../agent/history/aggregate.js";
import type { Field } from "../../../drivers/types.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0); // a Monday
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "thingd-history-"));
  dirs.push(d);
  return d;
}

function open(dir: string, clock: { now: number }, o: Partial<HistoryStoreOptions> = {}) {
  return new HistoryStore({ dir, keepMs: 30 * DAY, maxBytes: 64 * 1024 ** 2, flushMs: 30_000, now: () => clock.now, ...o });
}

const temp = (value: number, t: number, decimals = 1): Field => ({ type: "numeric", name: "temperature", value, unit: "°C", decimals, timestamp: new Date(t) });
const segBytes = (dir: string) => readdirSync(dir).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
const all = new Set<string>();

describe("HistoryStore", () => {
  it("writes nothing before a flush, then one record per flush", () => {
    const dir = tempDir();
    const clock = { now: T0 };
    const store = open(dir, clock);
    for (let i = 0; i < 50; i++) store.append("room", [temp(20 + i / 10, T0 + i * 1000)]);
    expect(segBytes(dir)).toBe(0);
    expect(store.buffered).toBe(50);
    // Unflushed values are still visible to readouts.
    expect(store.query("room", all, T0, T0 + 60_000)).toHaveLength(50);
    store.flush();
    expect(store.buffered).toBe(0);
    const files = readdirSync(dir);
    expect(files).toStrictEqual(["0000000001.seg"]);
    const text = readFileSync(path.join(dir, files[0]!), "utf8");
    expect(text.split("\n")).toHaveLength(2); // one line + the trailing newline
    store.close();
  });

  it("flushes by itself once flushSamples values are buffered", () => {
    const dir = tempDir();
    const store = open(dir, { now: T0 }, { flushSamples: 10 });
    for (let i = 0; i < 9; i++) store.append("room", [temp(1, T0 + i)]);
    expect(segBytes(dir)).toBe(0);
    store.append("room", [temp(1, T0 + 9)]);
    expect(segBytes(dir)).toBeGreaterThan(0);
    expect(store.buffered).toBe(0);
    store.close();
  });

  it("keeps values, units, decimals and booleans across a restart, in a new segment", () => {
    const dir = tempDir();
    const clock = { now: T0 };
    const a = open(dir, clock);
    a.append("room", [temp(21.25, T0, 2), { type: "boolean", name: "door", value: true, timestamp: new Date(T0) }, { type: "string", name: "note", value: "x", timestamp: new Date(T0) }]);
    a.close(); // close flushes
    const b = open(dir, clock);
    b.append("room", [temp(22, T0 + 1000)]);
    b.flush();
    expect(readdirSync(dir).sort()).toStrictEqual(["0000000001.seg", "0000000002.seg"]);
    expect(b.query("room", all, T0, T0 + 1000)).toStrictEqual([
      { nodeId: "room", name: "temperature", type: "numeric", unit: "°C", decimals: 2, t: T0, value: 21.25 },
      { nodeId: "room", name: "door", type: "boolean", unit: "", decimals: 0, t: T0, value: 1 },
      { nodeId: "room", name: "temperature", type: "numeric", unit: "°C", decimals: 1, t: T0 + 1000, value: 22 },
    ]);
    expect(b.query("other", all, T0, T0 + 1000)).toStrictEqual([]);
    expect(b.query("room", new Set(["door"]), T0, T0 + 1000).map((s) => s.name)).toStrictEqual(["door"]);
    b.close();
  });

  it("query windows are inclusive at both ends", () => {
    const dir = tempDir();
    const store = open(dir, { now: T0 + 10_000 });
    for (let i = 0; i < 5; i++) store.append("room", [temp(i, T0 + i * 1000)]);
    store.flush();
    expect(store.query("room", all, T0 + 1000, T0 + 3000).map((s) => s.value)).toStrictEqual([1, 2, 3]);
    expect(store.query("room", all, T0 + 1001, T0 + 2999).map((s) => s.value)).toStrictEqual([2]);
    expect(store.query("room", all, T0 + 3000, T0 + 1000)).toStrictEqual([]);
    store.close();
  });

  it("skips a torn last line and a corrupted record but keeps every intact one", () => {
    const dir = tempDir();
    const clock = { now: T0 };
    const a = open(dir, clock);
    a.append("room", [temp(1, T0)]);
    a.flush();
    a.append("room", [temp(2, T0 + 1000)]);
    a.flush();
    a.close();
    const file = path.join(dir, "0000000001.seg");
    const lines = readFileSync(file, "utf8").split("\n");
    // Flip a digit in the second record's body: its CRC no longer matches.
    writeFileSync(file, `${lines[0]}\n${lines[1]!.replace('"s":[[0,', '"s":[[0, ')}\n`);
    appendFileSync(file, encodeRecord([{ nodeId: "room", name: "temperature", type: "numeric", unit: "°C", decimals: 1, t: T0 + 2000, value: 3 }]).subarray(0, 20));
    expect(decodeSegment(readFileSync(file)).corrupt).toBe(2);
    const b = open(dir, clock);
    expect(b.corruptRecords).toBe(2);
    expect(b.query("room", all, T0, T0 + 5000).map((s) => s.value)).toStrictEqual([1]);
    b.close();
  });

  it("drops segments older than keep and never returns expired values", () => {
    const dir = tempDir();
    const clock = { now: T0 };
    const store = open(dir, clock, { keepMs: 16 * 60_000 }); // rotates every minute (keep/16)
    for (let m = 0; m < 40; m++) {
      clock.now = T0 + m * 60_000;
      store.append("room", [temp(m, clock.now)]);
      store.flush();
    }
    // Now = T0+39 min; keep = 16 min: values from T0+23 min on stay.
    const values = store.query("room", all, 0, clock.now).map((s) => s.value);
    expect(values).toStrictEqual(Array.from({ length: 17 }, (_, i) => 23 + i));
    // Whole segments older than keep are gone from disk (one segment per minute here).
    expect(store.segmentCount).toBeLessThanOrEqual(18);
    const onDisk = readdirSync(dir).flatMap((f) => decodeSegment(readFileSync(path.join(dir, f))).samples.map((s) => s.value));
    expect(Math.min(...onDisk)).toBeGreaterThanOrEqual(22);
    store.close();
  });

  it("keeps the folder under max_size by dropping the oldest segments", () => {
    const dir = tempDir();
    const clock = { now: T0 };
    const maxBytes = 64 * 1024;
    const store = open(dir, clock, { maxBytes });
    for (let i = 0; i < 400; i++) {
      clock.now = T0 + i * 1000;
      for (let j = 0; j < 10; j++) store.append("room", [temp(i + j / 10, clock.now + j)]);
      store.flush();
      expect(segBytes(dir)).toBeLessThanOrEqual(maxBytes);
    }
    expect(store.segmentCount).toBeGreaterThan(4);
    const kept = store.query("room", all, 0, clock.now + 10);
    expect(kept.at(-1)?.value).toBeCloseTo(399.9);
    expect(kept[0]!.value).toBeGreaterThan(0); // the oldest were dropped
    // What remains is contiguous up to the newest value: dropping is oldest-first.
    const seconds = [...new Set(kept.map((s) => Math.floor(s.value)))];
    expect(seconds).toStrictEqual(Array.from({ length: seconds.length }, (_, i) => seconds[0]! + i));
    store.close();
  });

  it("aggregates per period over flushed and buffered values", () => {
    const dir = tempDir();
    const clock = { now: T0 + 3 * 3_600_000 };
    const store = open(dir, clock);
    // 10:00-12:59, one value a minute: value = minutes since 10:00.
    for (let m = 0; m < 180; m++) {
      store.append("room", [temp(m, T0 + m * 60_000)]);
      if (m === 100) store.flush();
    }
    const hours = store.aggregate("room", all, "hour", T0, T0 + 2 * 3_600_000);
    expect(hours.map((b) => [new Date(b.start).toISOString(), b.count, b.min, b.max, b.mean])).toStrictEqual([
      ["2026-01-05T10:00:00.000Z", 60, 0, 59, 29.5],
      ["2026-01-05T11:00:00.000Z", 60, 60, 119, 89.5],
      ["2026-01-05T12:00:00.000Z", 60, 120, 179, 149.5],
    ]);
    // A bucket is in the window if its start is: from=10:30 leaves 11:00 and 12:00, to=12:00 keeps 12:00 whole.
    expect(store.aggregate("room", all, "hour", T0 + 1_800_000, T0 + 2 * 3_600_000).map((b) => b.count)).toStrictEqual([60, 60]);
    expect(store.aggregate("room", all, "day", T0 - 10 * 3_600_000, T0 + 3_600_000).map((b) => [b.count, b.mean])).toStrictEqual([[180, 89.5]]);
    store.close();
  });

  it("hour-and-longer aggregates from the hourly partials equal those computed from the samples, across segments and a restart", () => {
    const dir = tempDir();
    const clock = { now: T0 };
    let a = open(dir, clock, { maxBytes: 256 * 1024 }); // small segments: many of them
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 3000; i++) {
      clock.now = T0 + i * 7 * 60_000 + Math.floor(rnd() * 60_000); // ~2 weeks
      a.append("room", [temp(Math.round(rnd() * 4000) / 100, clock.now, 2), { type: "boolean", name: "door", value: rnd() > 0.5, timestamp: new Date(clock.now) }]);
      if (i % 25 === 0) a.flush();
      if (i === 1500) {
        a.close();
        a = open(dir, clock, { maxBytes: 256 * 1024 });
      }
    }
    expect(a.segmentCount).toBeGreaterThan(2);
    expect(a.buffered).toBeGreaterThan(0); // the unflushed tail counts too
    const from = T0 + 3 * 3_600_000 + 17;
    const to = clock.now;
    const samples = a.query("room", all, 0, to + 31 * DAY * 12);
    for (const period of PERIODS) {
      const got = a.aggregate("room", all, period, from, to);
      const want = aggregate(samples, period, from, to);
      expect(got.map((b) => ({ ...b, mean: Number(b.mean.toFixed(9)) })), period).toStrictEqual(want.map((b) => ({ ...b, mean: Number(b.mean.toFixed(9)) })));
      if (period === "hour") expect(got.length).toBeGreaterThan(300);
    }
    a.close();
  });

  it("keep applies to aggregates by whole hours", () => {
    const dir = tempDir();
    const clock = { now: T0 };
    const store = open(dir, clock, { keepMs: 2 * 3_600_000 });
    for (let m = 0; m < 240; m += 30) store.append("room", [temp(m, T0 + m * 60_000)]);
    store.flush();
    clock.now = T0 + 4 * 3_600_000 + 30 * 60_000; // 14:30; cut-off 12:30 → the 12:00 hour counts whole
    expect(store.aggregate("room", all, "hour", 0, clock.now).map((b) => [new Date(b.start).getUTCHours(), b.count])).toStrictEqual([[12, 2], [13, 2]]);
    expect(store.query("room", all, 0, clock.now).map((s) => s.value)).toStrictEqual([150, 180, 210]);
    store.close();
  });
});
