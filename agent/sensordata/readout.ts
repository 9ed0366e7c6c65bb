// The readout core: which nodes and fields a request asks for, and their values.
// No XML here; the serialisers in protocol/ turn outcomes into stanzas.
import type { Field } from "../../drivers/types.js";
import { ProtocolError } from "../errors.js";
import type { Poller } from "../sensors/poller.js";
import { withNodeInfo } from "./node-info.js";
import type { NodeFailure, NodeFields, ReadoutRequest } from "../protocol/sensordata.js";

/** The part of a request the core needs (dialect-independent). */
export type ReadoutQuery = Pick<ReadoutRequest, "types" | "nodes" | "fieldNames">;

// Historical readouts live in ./history/outcomes.ts; re-exported so both dialects find them here.
export { historicalOutcomes, mergeOutcomes, type HistorySource } from "../history/outcomes.js";

export type NodeOutcome = { nodeId: string; fields: Field[] } | { nodeId: string; error: string; timestamp: Date };

/** Nodes named by the request (all when none), or item-not-found for an unknown one (§5). */
export function selectNodes(query: ReadoutQuery, pollers: readonly Poller[]): Poller[] {
  if (query.nodes.length === 0) return [...pollers];
  const selected: Poller[] = [];
  for (const ref of query.nodes) {
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
export function filterFields(query: ReadoutQuery, fields: readonly Field[]): Field[] {
  return fields.filter(
    (f) => query.types.has(f.kind ?? "momentary") && (query.fieldNames.size === 0 || query.fieldNames.has(f.name)),
  );
}

/** Live kinds; a purely historical request needs no sensor read (we keep no history yet). */
export function needsLiveValues(query: ReadoutQuery): boolean {
  return ["momentary", "identity", "status", "computed", "peak"].some((k) => query.types.has(k as never));
}

/**
 * A request for identity and/or status fields only is answered from what the agent knows,
 * without reading the sensor (so a failing sensor still reports its error count).
 */
export function nodeInfoOutcomes(query: ReadoutQuery, nodes: readonly Poller[]): NodeOutcome[] | undefined {
  for (const t of query.types) if (t !== "identity" && t !== "status") return undefined;
  return nodes.map((p) => ({ nodeId: p.id, fields: filterFields(query, withNodeInfo(query.types, p, [])) }));
}

/** Outcomes from the cache alone, when every selected node has a fresh reading. */
export function cachedOutcomes(query: ReadoutQuery, nodes: readonly Poller[], now = Date.now()): NodeOutcome[] | undefined {
  if (!needsLiveValues(query)) return nodes.map((p) => ({ nodeId: p.id, fields: [] }));
  const info = nodeInfoOutcomes(query, nodes);
  if (info) return info;
  const out: NodeOutcome[] = [];
  for (const p of nodes) {
    const r = p.fresh(now);
    if (!r) return undefined;
    out.push({ nodeId: p.id, fields: filterFields(query, withNodeInfo(query.types, p, r.fields)) });
  }
  return out;
}

/** Outcomes, reading the nodes whose cache is stale (each under its own timeout, in parallel). */
export async function readOutcomes(query: ReadoutQuery, nodes: readonly Poller[]): Promise<NodeOutcome[]> {
  if (!needsLiveValues(query)) return nodes.map((p) => ({ nodeId: p.id, fields: [] }));
  const info = nodeInfoOutcomes(query, nodes);
  if (info) return info;
  const settled = await Promise.allSettled(nodes.map((p) => p.momentary()));
  return settled.map((s, i): NodeOutcome => {
    const nodeId = nodes[i]!.id;
    if (s.status === "fulfilled") return { nodeId, fields: filterFields(query, withNodeInfo(query.types, nodes[i]!, s.value.fields)) };
    const reason = s.reason instanceof Error ? s.reason.message : String(s.reason);
    return { nodeId, error: reason, timestamp: new Date() };
  });
}

export function splitOutcomes(outcomes: readonly NodeOutcome[]): { nodes: NodeFields[]; failures: NodeFailure[] } {
  const nodes: NodeFields[] = [];
  const failures: NodeFailure[] = [];
  for (const o of outcomes) {
    if ("error" in o) failures.push({ nodeId: o.nodeId, timestamp: o.timestamp, message: o.error });
    else nodes.push(o);
  }
  return { nodes, failures };
}
