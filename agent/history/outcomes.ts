// Historical readouts (historical* flags, from/to: docs/protocol.md §1.1): stored values as fields
// flagged with their period, returned beside the live ones in the same NodeOutcome shape, so
// either dialect's serialiser can write them. README "History" documents the naming.
//
// - historicalSecond: the raw samples with from <= t <= to (the last one per field and second).
// - historicalMinute … historicalYear: one bucket per period whose start lies in [from, to]
//   (UTC-aligned, see aggregate.ts), written at the bucket's start as three fields:
//   "<name>" = mean, "<name>, min", "<name>, max".
// - No from/to: to = now, from = to minus DEFAULT_WINDOW_MS[period].
// - At most `maxFields` values per request: the newest are kept and each node that lost values
//   gets an error outcome "history truncated: returned N of M values; narrow from/to".
import type { Field, HistoricalKind } from "../../drivers/types.js";
import type { NodeOutcome } from "../protocol/readout-outcome.js";
import type { ReadoutRequest } from "../protocol/readout-request.js";
import type { Period } from "./aggregate.js";
import type { Sample } from "./record.js";
import type { HistoryStore } from "./store.js";

export type HistoryReader = Pick<HistoryStore, "query" | "aggregate">;

/** What the Thing passes to the sensor-data service. */
export interface HistorySource {
  store: HistoryReader;
  maxFieldsPerRequest: number;
}

export const PERIOD_OF_KIND: ReadonlyArray<readonly [HistoricalKind, Period]> = [
  ["historicalSecond", "second"], ["historicalMinute", "minute"], ["historicalHour", "hour"], ["historicalDay", "day"],
  ["historicalWeek", "week"], ["historicalMonth", "month"], ["historicalQuarter", "quarter"], ["historicalYear", "year"],
];

const DAY = 86_400_000;
/** Window when the request has no `from`: recent enough to stay small, long enough to be useful. */
export const DEFAULT_WINDOW_MS: Record<Period, number> = {
  second: 10 * 60_000,
  minute: 3 * 3_600_000,
  hour: 2 * DAY,
  day: 31 * DAY,
  week: 26 * 7 * DAY,
  month: 366 * DAY,
  quarter: 3 * 366 * DAY,
  year: 10 * 366 * DAY,
};

export function wantsHistory(query: ReadoutRequest): boolean {
  return PERIOD_OF_KIND.some(([kind]) => query.types.has(kind));
}

export function historyWindow(query: ReadoutRequest, period: Period, now: number): { from: number; to: number } {
  const to = query.to?.getTime() ?? now;
  return { from: query.from?.getTime() ?? to - DEFAULT_WINDOW_MS[period], to };
}

/** Groups kept or dropped whole by the cap: a raw sample, or one bucket's mean/min/max. */
type Group = { t: number; fields: Field[] };

function periodGroups(store: HistoryReader, nodeId: string, query: ReadoutRequest, kind: HistoricalKind, period: Period, now: number): Group[] {
  const { from, to } = historyWindow(query, period, now);
  if (from > to) return [];
  if (period === "second") {
    // Timestamps go out in whole seconds (docs/protocol.md §1.3) and a field is unique per
    // (node, name, timestamp): of several samples in one second, the last one stands.
    const perSecond = new Map<string, Sample>();
    for (const s of store.query(nodeId, query.fieldNames, from, to)) perSecond.set(`${s.name}\u0000${Math.floor(s.t / 1000)}`, s);
    return [...perSecond.values()].map((s) => {
      const base = { name: s.name, timestamp: new Date(s.t), kind };
      const field: Field = s.type === "boolean" ? { ...base, type: "boolean", value: s.value !== 0 } : { ...base, type: "numeric", value: s.value, unit: s.unit, decimals: s.decimals };
      return { t: s.t, fields: [field] };
    });
  }
  return store.aggregate(nodeId, query.fieldNames, period, from, to).map((b) => {
    const timestamp = new Date(b.start);
    // A boolean's mean is the share of time it was true: 2 decimals, no unit.
    const meanDecimals = b.type === "boolean" ? 2 : b.decimals;
    const num = (name: string, value: number, decimals: number): Field => ({ name, timestamp, kind, type: "numeric", value, unit: b.unit, decimals });
    return { t: b.start, fields: [num(b.name, b.mean, meanDecimals), num(`${b.name}, min`, b.min, b.decimals), num(`${b.name}, max`, b.max, b.decimals)] };
  });
}

/** Historical outcomes for the selected nodes; [] when no historical period is requested. */
export function historicalOutcomes(
  query: ReadoutRequest,
  nodes: ReadonlyArray<{ id: string }>,
  history: HistorySource | undefined,
  now = Date.now(),
): NodeOutcome[] {
  if (!history || !wantsHistory(query)) return [];
  const perNode: Array<{ nodeId: string; groups: Group[]; total: number } | NodeOutcome> = nodes.map(({ id: nodeId }) => {
    try {
      const groups: Group[] = [];
      for (const [kind, period] of PERIOD_OF_KIND) {
        if (query.types.has(kind)) groups.push(...periodGroups(history.store, nodeId, query, kind, period, now));
      }
      return { nodeId, groups, total: groups.reduce((n, g) => n + g.fields.length, 0) };
    } catch (err) {
      return { nodeId, error: `history unavailable: ${err instanceof Error ? err.message : String(err)}`, timestamp: new Date(now) };
    }
  });

  // The cap: keep the newest groups across all nodes, whole, while they fit.
  const kept = new Set<Group>();
  const all = perNode.flatMap((n) => ("groups" in n ? n.groups : []));
  const total = all.reduce((n, g) => n + g.fields.length, 0);
  if (total <= history.maxFieldsPerRequest) all.forEach((g) => kept.add(g));
  else {
    let room = history.maxFieldsPerRequest;
    for (const g of [...all].sort((a, b) => b.t - a.t)) {
      if (g.fields.length > room) break;
      kept.add(g);
      room -= g.fields.length;
    }
  }

  const out: NodeOutcome[] = [];
  for (const n of perNode) {
    if (!("groups" in n)) {
      out.push(n);
      continue;
    }
    const fields = n.groups.filter((g) => kept.has(g)).flatMap((g) => g.fields);
    out.push({ nodeId: n.nodeId, fields });
    if (fields.length < n.total) {
      out.push({ nodeId: n.nodeId, error: `history truncated: returned ${fields.length} of ${n.total} values; narrow from/to`, timestamp: new Date(now) });
    }
  }
  return out;
}

/** Live and historical outcomes in one list, one fields outcome per node. */
export function mergeOutcomes(live: readonly NodeOutcome[], historical: readonly NodeOutcome[]): NodeOutcome[] {
  if (historical.length === 0) return [...live]; // the common, momentary-only case: no copies
  const out = live.map((o) => ("fields" in o ? { ...o, fields: [...o.fields] } : o));
  for (const h of historical) {
    const target = "fields" in h ? out.find((o) => o.nodeId === h.nodeId && "fields" in o) : undefined;
    if (target && "fields" in target && "fields" in h) target.fields.push(...h.fields);
    else out.push(h);
  }
  return out;
}
