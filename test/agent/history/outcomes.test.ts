// Historical readouts over a real store: period flags, field naming, windows, the cap.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HistoryStore } from "../../../agent/history/store.js";
import { DEFAULT_WINDOW_MS, historicalOutcomes, mergeOutcomes } from "../../../agent/history/outcomes.js";
import type { ReadoutRequest, TypeFlag } from "../../../agent/protocol/readout-request.js";
import type { NodeOutcome } from "../../../agent/protocol/readout-outcome.js";
import type { Field } from "../../../drivers/types.js";

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const NOW = T0 + 3 * 3_600_000;
const stores: HistoryStore[] = [];
const dirs: string[] = [];
afterEach(() => {
  stores.splice(0).forEach((s) => s.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** A store with one value a minute on node "room" from 10:00 to 12:59 (value = minute index) and a door flag. */
function filled(): HistoryStore {
  const dir = mkdtempSync(path.join(tmpdir(), "thingd-history-out-"));
  dirs.push(dir);
  const store = new HistoryStore({ dir, keepMs: 30 * 86_400_000, maxBytes: 1024 ** 2, flushMs: 30_000, now: () => NOW });
  stores.push(store);
  for (let m = 0; m < 180; m++) {
    const timestamp = new Date(T0 + m * 60_000);
    store.append("room", [
      { type: "numeric", name: "temperature", value: m, unit: "°C", decimals: 1, timestamp },
      { type: "boolean", name: "door", value: m % 4 === 0, timestamp },
    ]);
  }
  store.flush();
  return store;
}

const q = (types: TypeFlag[], o: Partial<ReadoutRequest> = {}): ReadoutRequest => ({ types: new Set(types), nodes: [], fieldNames: new Set(), ...o });
const fieldsOf = (out: NodeOutcome[]) => out.flatMap((o) => ("fields" in o ? o.fields : []));
const show = (f: Field) => `${f.timestamp.toISOString().slice(11, 19)} ${f.kind} ${f.name}=${f.type === "numeric" ? f.value.toFixed(f.decimals) : f.value}`;

describe("historicalOutcomes", () => {
  it("returns nothing without a history store or without a historical flag", () => {
    const store = filled();
    expect(historicalOutcomes(q(["historicalHour"]), [{ id: "room" }], undefined, NOW)).toStrictEqual([]);
    expect(historicalOutcomes(q(["momentary"]), [{ id: "room" }], { store, maxFieldsPerRequest: 5000 }, NOW)).toStrictEqual([]);
  });

  it("writes hourly mean, min and max at each bucket start, flagged historicalHour", () => {
    const store = filled();
    const query = q(["historicalHour"], { fieldNames: new Set(["temperature"]), from: new Date(T0), to: new Date(T0 + 3_600_000) });
    const out = historicalOutcomes(query, [{ id: "room" }], { store, maxFieldsPerRequest: 5000 }, NOW);
    expect(fieldsOf(out).map(show)).toStrictEqual([
      "10:00:00 historicalHour temperature=29.5",
      "10:00:00 historicalHour temperature, min=0.0",
      "10:00:00 historicalHour temperature, max=59.0",
      "11:00:00 historicalHour temperature=89.5",
      "11:00:00 historicalHour temperature, min=60.0",
      "11:00:00 historicalHour temperature, max=119.0",
    ]);
    expect(fieldsOf(out).every((f) => f.type === "numeric" && f.unit === "°C")).toBe(true);
  });

  it("historicalSecond returns raw samples, booleans as booleans; an hourly boolean is its share of true", () => {
    const store = filled();
    const sec = historicalOutcomes(q(["historicalSecond"], { fieldNames: new Set(["door"]), from: new Date(T0), to: new Date(T0 + 60_000) }), [{ id: "room" }], { store, maxFieldsPerRequest: 5000 }, NOW);
    expect(fieldsOf(sec).map(show)).toStrictEqual(["10:00:00 historicalSecond door=true", "10:01:00 historicalSecond door=false"]);
    const hour = historicalOutcomes(q(["historicalHour"], { fieldNames: new Set(["door"]), from: new Date(T0), to: new Date(T0) }), [{ id: "room" }], { store, maxFieldsPerRequest: 5000 }, NOW);
    expect(fieldsOf(hour).map(show)).toStrictEqual(["10:00:00 historicalHour door=0.25", "10:00:00 historicalHour door, min=0", "10:00:00 historicalHour door, max=1"]);
  });

  it("uses a recent window per period when from/to are absent", () => {
    const store = filled();
    expect(DEFAULT_WINDOW_MS.second).toBe(600_000);
    const out = historicalOutcomes(q(["historicalSecond"], { fieldNames: new Set(["temperature"]) }), [{ id: "room" }], { store, maxFieldsPerRequest: 5000 }, NOW);
    // now = 13:00; the last 10 minutes hold 12:50..12:59.
    expect(fieldsOf(out).map((f) => f.timestamp.toISOString().slice(11, 16))).toStrictEqual(Array.from({ length: 10 }, (_, i) => `12:${50 + i}`));
  });

  it("historical = every period; each field carries its own period flag", () => {
    const store = filled();
    const all: TypeFlag[] = ["historicalSecond", "historicalMinute", "historicalHour", "historicalDay", "historicalWeek", "historicalMonth", "historicalQuarter", "historicalYear"];
    const out = historicalOutcomes(q(all, { fieldNames: new Set(["temperature"]), from: new Date(T0 - 86_400_000), to: new Date(NOW) }), [{ id: "room" }], { store, maxFieldsPerRequest: 100_000 }, NOW);
    const kinds = new Map<string, number>();
    for (const f of fieldsOf(out)) kinds.set(f.kind!, (kinds.get(f.kind!) ?? 0) + 1);
    // 180 raw; 180 minutes and 3 hours x3; one day and one week (Mon 5 Jan) x3; the month,
    // quarter and year buckets start on Jan 1st, before from = Jan 4th 10:00, so none.
    expect(Object.fromEntries(kinds)).toStrictEqual({ historicalSecond: 180, historicalMinute: 540, historicalHour: 9, historicalDay: 3, historicalWeek: 3 });
  });

  it("caps the reply at the newest values and says so", () => {
    const store = filled();
    const out = historicalOutcomes(q(["historicalMinute"], { fieldNames: new Set(["temperature"]), from: new Date(T0), to: new Date(NOW) }), [{ id: "room" }], { store, maxFieldsPerRequest: 10 }, NOW);
    const fields = fieldsOf(out);
    expect(fields).toHaveLength(9); // whole buckets of three only
    expect(fields.map((f) => f.timestamp.toISOString().slice(11, 16))).toStrictEqual(["12:57", "12:57", "12:57", "12:58", "12:58", "12:58", "12:59", "12:59", "12:59"]);
    const errors = out.filter((o) => "error" in o);
    expect(errors).toStrictEqual([{ nodeId: "room", error: "history truncated: returned 9 of 540 values; narrow from/to", timestamp: new Date(NOW) }]);
  });

  it("reports a failing store as a node error instead of throwing", () => {
    const broken = { query: () => { throw new Error("disk gone"); }, aggregate: () => [] };
    const out = historicalOutcomes(q(["historicalSecond"]), [{ id: "room" }], { store: broken, maxFieldsPerRequest: 10 }, NOW);
    expect(out).toStrictEqual([{ nodeId: "room", error: "history unavailable: disk gone", timestamp: new Date(NOW) }]);
  });
});

describe("mergeOutcomes", () => {
  it("adds historical fields to the live node and keeps errors apart", () => {
    const f = (name: string): Field => ({ type: "numeric", name, value: 1, unit: "", decimals: 0, timestamp: new Date(T0) });
    const live: NodeOutcome[] = [{ nodeId: "a", fields: [f("x")] }, { nodeId: "b", error: "down", timestamp: new Date(T0) }];
    const hist: NodeOutcome[] = [{ nodeId: "a", fields: [f("y")] }, { nodeId: "b", fields: [f("z")] }];
    expect(mergeOutcomes(live, hist)).toStrictEqual([{ nodeId: "a", fields: [f("x"), f("y")] }, live[1], { nodeId: "b", fields: [f("z")] }]);
    expect(live[0]).toStrictEqual({ nodeId: "a", fields: [f("x")] }); // inputs untouched
  });
});

describe("historicalSecond with sub-second polling", () => {
  it("keeps the last sample of each second, so (node, name, timestamp) stays unique on the wire", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "thingd-history-out-"));
    dirs.push(dir);
    const store = new HistoryStore({ dir, keepMs: 86_400_000, maxBytes: 1024 ** 2, flushMs: 30_000, now: () => NOW });
    stores.push(store);
    for (let i = 0; i < 8; i++) store.append("room", [{ type: "numeric", name: "t", value: i, unit: "", decimals: 0, timestamp: new Date(T0 + i * 250) }]);
    const out = historicalOutcomes(q(["historicalSecond"], { from: new Date(T0), to: new Date(T0 + 2000) }), [{ id: "room" }], { store, maxFieldsPerRequest: 100 }, NOW);
    expect(fieldsOf(out).map((f) => [f.timestamp.getTime() - T0, f.type === "numeric" && f.value])).toStrictEqual([[750, 3], [1750, 7]]);
  });
});
