// XEP-0323 Sensor Data, seqnr dialect, v0.6 (Retracted 2017), as pinned in protocol.md §1.
// Pure parse/build over @xmpp/xml elements; no client, no timers.
import { xml, type Element } from "@xmpp/xml";
import { ProtocolError } from "../errors.js";
import type { Field, FieldKind } from "../../drivers/types.js";
import { NS_SENSORDATA } from "./ns.js";
import { chunkNodes } from "./chunk-fields.js";
import { formatDateTime, formatDecimal, isXsInt, parseXsBoolean, parseXsDateTime } from "./xsd.js";

export const HISTORICAL_FLAGS = [
  "historicalSecond", "historicalMinute", "historicalHour", "historicalDay", "historicalWeek",
  "historicalMonth", "historicalQuarter", "historicalYear", "historicalOther",
] as const;

/** Field-type flags of <req> (§1.1). `historical` means every historical period. */
export const TYPE_FLAGS = ["momentary", "peak", "status", "computed", "identity", ...HISTORICAL_FLAGS] as const;
export type TypeFlag = (typeof TYPE_FLAGS)[number];

export interface NodeRef {
  nodeId: string;
  sourceId?: string;
  cacheType?: string;
}

export interface ReadoutRequest {
  seqnr: string;
  /** Requested field types; all of them when the request names none (§1.1 [rec]) or says all. */
  types: ReadonlySet<TypeFlag>;
  /** Empty = every node. */
  nodes: NodeRef[];
  /** Empty = every field. Names are hints: unknown ones are never an error. */
  fieldNames: ReadonlySet<string>;
  from?: Date;
  to?: Date;
  when?: Date;
  serviceToken?: string;
  deviceToken?: string;
  userToken?: string;
}

/** seqnr if present and a valid xs:int; used to decide whether <rejected> can be sent (§5). */
export function readableSeqnr(el: Element): string | undefined {
  const seqnr = el.attrs.seqnr;
  return seqnr !== undefined && isXsInt(seqnr) ? seqnr : undefined;
}

function requireSeqnr(el: Element): string {
  const seqnr = el.attrs.seqnr;
  if (seqnr === undefined) throw new ProtocolError("bad-request", `${el.name}: missing attribute "seqnr"`);
  if (!isXsInt(seqnr)) throw new ProtocolError("bad-request", `${el.name}: seqnr must be an xs:int, got "${seqnr}"`);
  return seqnr;
}

/** Parses <req xmlns='urn:xmpp:iot:sensordata'> (§1.1). Throws ProtocolError(bad-request). */
export function parseReadoutRequest(req: Element): ReadoutRequest {
  const seqnr = requireSeqnr(req);
  const a = req.attrs;
  const flag = (name: string) => parseXsBoolean(a[name], `req@${name}`) === true;

  const types = new Set<TypeFlag>();
  for (const t of TYPE_FLAGS) if (flag(t)) types.add(t);
  if (flag("historical")) for (const t of HISTORICAL_FLAGS) types.add(t);
  if (flag("all") || types.size === 0) for (const t of TYPE_FLAGS) types.add(t);

  const nodes: NodeRef[] = [];
  const fieldNames = new Set<string>();
  for (const child of req.getChildElements()) {
    if (child.name === "node") {
      const nodeId = child.attrs.nodeId;
      if (!nodeId) throw new ProtocolError("bad-request", `req/node: missing attribute "nodeId"`);
      nodes.push(compact({ nodeId, sourceId: child.attrs.sourceId, cacheType: child.attrs.cacheType }));
    } else if (child.name === "field") {
      const name = child.attrs.name;
      if (!name) throw new ProtocolError("bad-request", `req/field: missing attribute "name"`);
      fieldNames.add(name);
    }
    // Other children: ignored (tokens may come as attributes only in this dialect).
  }

  const date = (name: "from" | "to" | "when") =>
    a[name] === undefined ? undefined : parseXsDateTime(a[name]!, `req@${name}`);

  return compact({
    seqnr,
    types,
    nodes,
    fieldNames,
    from: date("from"),
    to: date("to"),
    when: date("when"),
    serviceToken: a.serviceToken,
    deviceToken: a.deviceToken,
    userToken: a.userToken,
  });
}

/** Parses <cancel seqnr='…'/> (§1.7). */
export function parseCancel(cancel: Element): string {
  return requireSeqnr(cancel);
}

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

/** Whether a field of this kind is wanted by the request's type set (types form a union, §1.1). */
export function wantsKind(types: ReadonlySet<TypeFlag>, kind: FieldKind): boolean {
  return types.has(kind);
}

export function buildAccepted(seqnr: string, queued = false): Element {
  return xml("accepted", { xmlns: NS_SENSORDATA, seqnr, queued: queued ? "true" : undefined });
}

export function buildCancelled(seqnr: string): Element {
  return xml("cancelled", { xmlns: NS_SENSORDATA, seqnr });
}

export function buildRejected(seqnr: string, text: string): Element {
  return xml("rejected", { xmlns: NS_SENSORDATA, seqnr }, xml("error", {}, text));
}

export function buildStartedMessage(to: string, seqnr: string): Element {
  return xml("message", { to }, xml("started", { xmlns: NS_SENSORDATA, seqnr }));
}

/**
 * One field element (§1.3). Only true flags are written (slixmpp reads flags as strings, §6.7);
 * live readings carry automaticReadout.
 */
export function buildField(field: Field): Element {
  const attrs: Record<string, string> = { name: field.name, [field.kind ?? "momentary"]: "true", automaticReadout: "true" };
  switch (field.type) {
    case "numeric":
      return xml("numeric", { ...attrs, value: formatDecimal(field.value, field.decimals), unit: field.unit });
    case "boolean":
      return xml("boolean", { ...attrs, value: field.value ? "true" : "false" });
    case "string":
      return xml("string", { ...attrs, value: field.value });
  }
}

export interface NodeFields {
  nodeId: string;
  fields: Field[];
}

/** <node> with one <timestamp> per distinct reading time, in first-seen order. */
export function buildNode({ nodeId, fields }: NodeFields): Element {
  const byTime = new Map<string, Element[]>();
  for (const f of fields) {
    const ts = formatDateTime(f.timestamp);
    let list = byTime.get(ts);
    if (!list) byTime.set(ts, (list = []));
    list.push(buildField(f));
  }
  return xml(
    "node",
    { nodeId },
    [...byTime].map(([value, els]) => xml("timestamp", { value }, ...els)),
  );
}

export function buildFieldsMessage(to: string, seqnr: string, nodes: NodeFields[], done: boolean): Element {
  return xml(
    "message",
    { to },
    xml("fields", { xmlns: NS_SENSORDATA, seqnr, done: done ? "true" : undefined }, ...nodes.map(buildNode)),
  );
}

export interface NodeFailure {
  nodeId: string;
  timestamp: Date;
  message: string;
}

export function buildFailureMessage(to: string, seqnr: string, errors: NodeFailure[], done: boolean): Element {
  return xml(
    "message",
    { to },
    xml(
      "failure",
      { xmlns: NS_SENSORDATA, seqnr, done: done ? "true" : undefined },
      ...errors.map((e) => xml("error", { nodeId: e.nodeId, timestamp: formatDateTime(e.timestamp) }, e.message)),
    ),
  );
}

/**
 * The messages that answer one readout, in slixmpp-safe order (§6.4): every <fields> first,
 * then a single <failure done='true'> carrying all errors; `done` on the last message only.
 * Nothing to report → one empty <fields done='true'/>.
 */
export function buildReadoutMessages(to: string, seqnr: string, nodes: NodeFields[], failures: NodeFailure[]): Element[] {
  const withFields = nodes.filter((n) => n.fields.length > 0);
  const messages: Element[] = [];
  // Several <fields> messages for a big readout (./chunk-fields.ts); done on the last one only.
  const chunks = withFields.length > 0 ? chunkNodes(withFields) : failures.length === 0 ? [[]] : [];
  chunks.forEach((chunk, i) => messages.push(buildFieldsMessage(to, seqnr, chunk, failures.length === 0 && i === chunks.length - 1)));
  if (failures.length > 0) messages.push(buildFailureMessage(to, seqnr, failures, true));
  return messages;
}
