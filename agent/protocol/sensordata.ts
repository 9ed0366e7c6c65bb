// XEP-0323 Sensor Data, seqnr dialect, v0.6 (Retracted 2017), as pinned in docs/protocol.md §1.
// Pure parse/build over @xmpp/xml elements; no client, no timers.
import { xml, type Element } from "@xmpp/xml";
import { ProtocolError } from "../errors.js";
import type { Field } from "../../drivers/types.js";
import { NS_SENSORDATA } from "./ns.js";
import { chunkNodeFields } from "./chunk.js";
import { parseRequestBody, type Vocabulary } from "./req-body.js";
import { HISTORICAL_FLAGS, TYPE_FLAGS, type IdentifiedRequest } from "./readout-request.js";
import type { NodeFailure, NodeFields } from "./readout-outcome.js";
import { formatDateTime, isXsInt } from "./xsd.js";
import { fieldValueText } from "./field-value.js";

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

const XEP_VOCABULARY: Vocabulary = {
  types: TYPE_FLAGS.map((t) => [t, t] as const),
  historical: ["historical", HISTORICAL_FLAGS],
  all: TYPE_FLAGS,
  node: { element: "node", id: "nodeId", source: "sourceId", partition: "cacheType" },
  field: { element: "field", name: "name" },
  tokens: { service: "serviceToken", device: "deviceToken", user: "userToken" },
};

/** Parses <req xmlns='urn:xmpp:iot:sensordata'> (§1.1); the id is its seqnr. Throws ProtocolError(bad-request). */
export function parseReadoutRequest(req: Element): IdentifiedRequest {
  const id = requireSeqnr(req);
  return { id, request: parseRequestBody(req, XEP_VOCABULARY) };
}

/** Parses <cancel seqnr='…'/> (§1.7). */
export function parseCancel(cancel: Element): string {
  return requireSeqnr(cancel);
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
 * live readings carry automaticReadout. Value types slixmpp 1.8.3 drops (§6.1) are written in
 * its compat form: int/long as numeric with unit '', date and time as string, duration as
 * timeSpan (its pre-v0.3 name).
 */
export function buildField(field: Field): Element {
  const attrs: Record<string, string> = { name: field.name, [field.kind ?? "momentary"]: "true", automaticReadout: "true" };
  if (field.writable) attrs.writable = "true";
  const value = fieldValueText(field);
  switch (field.type) {
    case "numeric":
      return xml("numeric", { ...attrs, value, unit: field.unit });
    case "int":
    case "long":
      return xml("numeric", { ...attrs, value, unit: "" });
    case "date":
    case "time":
      return xml("string", { ...attrs, value });
    case "duration":
      return xml("timeSpan", { ...attrs, value });
    case "enum":
      return xml("enum", { ...attrs, value, dataType: field.dataType });
    case "boolean":
    case "string":
    case "dateTime":
      return xml(field.type, { ...attrs, value });
  }
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
  // Large (historical) results span several <fields> messages (chunk.ts).
  const chunks = chunkNodeFields(nodes.filter((n) => n.fields.length > 0));
  const messages = chunks.map((c, i) => buildFieldsMessage(to, seqnr, c, failures.length === 0 && i === chunks.length - 1));
  if (chunks.length === 0 && failures.length === 0) messages.push(buildFieldsMessage(to, seqnr, [], true));
  if (failures.length > 0) messages.push(buildFailureMessage(to, seqnr, failures, true));
  return messages;
}
