// The readout core: which nodes and fields a request asks for, and their values, live and (with
// a history store) historical. No XML here; the dialect serialisers in protocol/ turn outcomes
// into stanzas.
//
// Anything that reads sensors for someone (the IQ service, chat, ad-hoc commands, event
// subscriptions) goes through here: `runReadout` when it can wait for the values, or
// selectNodes + cachedOutcomes / readOutcomes + withHistory when it must answer from the cache
// in one go (the IQ fast path).
import type { Field } from "../../drivers/types.js";
import { ProtocolError } from "../errors.js";
import type { Poller } from "../sensors/poller.js";
import { historicalOutcomes, mergeOutcomes, type HistorySource } from "../history/outcomes.js";
import { withNodeInfo } from "./node-info.js";
import type { ReadoutRequest } from "../protocol/readout-request.js";
import type { NodeFailure, NodeFields, NodeOutcome } from "../protocol/readout-outcome.js";

/** Where a readout takes its values from. */
export interface ReadoutSource {
  pollers: readonly Poller[];
  /** The local history store, for historical* types (none: no historical fields). */
  history?: HistorySource | undefined;
}

/**
 * Runs one readout: the outcome of every node `request` names (all when none), its fields
 * filtered by type and name, read now where the cache is stale (each node under its own
 * timeout), with the stored history the request asks for. A node that fails to read is an
 * error outcome, not a rejection. No access check (the caller decides who may read, e.g.
 * SensorDataService.readout) and no `when` (the caller defers).
 * Throws ProtocolError(item-not-found) for a node we do not have.
 */
export async function runReadout(request: ReadoutRequest, source: ReadoutSource): Promise<NodeOutcome[]> {
  const nodes = selectNodes(request, source.pollers);
  return withHistory(request, nodes, await readOutcomes(request, nodes), source.history);
}

/** Nodes named by the request (all when none), or item-not-found for an unknown one (§5). */
export function selectNodes(request: ReadoutRequest, pollers: readonly Poller[]): Poller[] {
  if (request.nodes.length === 0) return [...pollers];
  const selected: Poller[] = [];
  for (const ref of request.nodes) {
    const poller = pollers.find((p) => p.id === ref.nodeId);
    // We expose no sourceId/cacheType: a request naming one addresses something we don't have.
    if (!poller || ref.sourceId || ref.cacheType) {
      throw new ProtocolError("item-not-found", `Unknown node "${ref.nodeId}"${ref.sourceId ? ` in source "${ref.sourceId}"` : ""}.`);
    }
    if (!selected.includes(poller)) selected.push(poller);
  }
  return selected;
}

/** Fields of a wanted type (types are a union, §1.1) and name (names filter only if given). */
export function filterFields(request: ReadoutRequest, fields: readonly Field[]): Field[] {
  return fields.filter(
    (f) => request.types.has(f.kind ?? "momentary") && (request.fieldNames.size === 0 || request.fieldNames.has(f.name)),
  );
}

/** Live kinds; a purely historical request needs no sensor read (history answers it). */
export function needsLiveValues(request: ReadoutRequest): boolean {
  return ["momentary", "identity", "status", "computed", "peak"].some((k) => request.types.has(k as never));
}

/**
 * A request for identity and/or status fields only is answered from what the agent knows,
 * without reading the sensor (so a failing sensor still reports its error count).
 */
export function nodeInfoOutcomes(request: ReadoutRequest, nodes: readonly Poller[]): NodeOutcome[] | undefined {
  for (const t of request.types) if (t !== "identity" && t !== "status") return undefined;
  return nodes.map((p) => ({ nodeId: p.id, fields: filterFields(request, withNodeInfo(request.types, p, [])) }));
}

/** Live outcomes from the cache alone, when every selected node has a fresh reading. */
export function cachedOutcomes(request: ReadoutRequest, nodes: readonly Poller[], now = Date.now()): NodeOutcome[] | undefined {
  if (!needsLiveValues(request)) return nodes.map((p) => ({ nodeId: p.id, fields: [] }));
  const info = nodeInfoOutcomes(request, nodes);
  if (info) return info;
  const out: NodeOutcome[] = [];
  for (const p of nodes) {
    const r = p.fresh(now);
    if (!r) return undefined;
    out.push({ nodeId: p.id, fields: filterFields(request, withNodeInfo(request.types, p, r.fields)) });
  }
  return out;
}

/** Live outcomes, reading the nodes whose cache is stale (each under its own timeout, in parallel). */
export async function readOutcomes(request: ReadoutRequest, nodes: readonly Poller[]): Promise<NodeOutcome[]> {
  if (!needsLiveValues(request)) return nodes.map((p) => ({ nodeId: p.id, fields: [] }));
  const info = nodeInfoOutcomes(request, nodes);
  if (info) return info;
  const settled = await Promise.allSettled(nodes.map((p) => p.momentary()));
  return settled.map((s, i): NodeOutcome => {
    const nodeId = nodes[i]!.id;
    if (s.status === "fulfilled") return { nodeId, fields: filterFields(request, withNodeInfo(request.types, nodes[i]!, s.value.fields)) };
    const reason = s.reason instanceof Error ? s.reason.message : String(s.reason);
    return { nodeId, error: reason, timestamp: new Date() };
  });
}

/** Live outcomes with the historical ones the request asks for (none without a store). */
export function withHistory(request: ReadoutRequest, nodes: readonly Poller[], live: NodeOutcome[], history: HistorySource | undefined): NodeOutcome[] {
  return mergeOutcomes(live, historicalOutcomes(request, nodes, history));
}

/** Outcomes as the serialisers take them: nodes with fields, and failures. */
export function splitOutcomes(outcomes: readonly NodeOutcome[]): { nodes: NodeFields[]; failures: NodeFailure[] } {
  const nodes: NodeFields[] = [];
  const failures: NodeFailure[] = [];
  for (const o of outcomes) {
    if ("error" in o) failures.push({ nodeId: o.nodeId, timestamp: o.timestamp, message: o.error });
    else nodes.push(o);
  }
  return { nodes, failures };
}
