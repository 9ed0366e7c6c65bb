// The id-based successor of XEP-0323 (IEEE XMPP IoT, `urn:ieee:iot:sd:1.0`; older builds
// `urn:ieee:iot:sd`; neuro-foundation.io `urn:nfi:iot:sd:1.0`), as pinned in docs/protocol.md §1.8.
// Pure parse/build over @xmpp/xml elements; every builder takes the request's namespace so
// the answer is in the dialect the client spoke.
//
// Followed PeterWaher/IoTGateway, Networking/Waher.Networking.XMPP.Sensor:
// - SensorServer.ReqHandler: <req id from to when st dt ut all h m p s c i> with <nd id src pt>
//   and <f n> children; AcceptRequest answers <accepted id queued='true'?/>, StartReadout sends
//   <started id/> as a message. CancelHandler takes <cancel id/> in get or set and answers an
//   empty result (we answer item-not-found for an id we don't know, as in the seqnr dialect).
// - SensorDataServerRequest.OutputFields: <resp id more='true'?> > <nd id src? pt?> > <ts v> >
//   fields; OutputField writes the element named by the value type (q b d dt dr e i l s t),
//   then n, ctr (writable), the type flags m i s c p h (or all), the QoS flags ms pr ae me mr
//   ar of w er so iv eos pf ic (true ones only), then v, with u on q and t on e. Errors are
//   <err>text</err> in <resp> > <nd> > <ts> (OutputError / ReportErrors).
// - SensorClient.RequestResponse: the IQ result may carry <accepted>, <started> or <resp>
//   itself; our cached fast path puts <resp> in the result (one stanza).
import { chunkNodeFields, MAX_FIELDS_PER_MESSAGE } from "./chunk.js";
import { xml, type Element } from "@xmpp/xml";
import { ProtocolError } from "../errors.js";
import type { Field, FieldKind } from "../../drivers/types.js";
import { NS_IEEE_SENSORDATA, NS_IEEE_SENSORDATA_ALIASES } from "./ns.js";
import { HISTORICAL_FLAGS, TYPE_FLAGS, type IdentifiedRequest, type TypeFlag } from "./readout-request.js";
import type { NodeFailure, NodeFields } from "./readout-outcome.js";
import { fieldValueText } from "./field-value.js";
import { parseRequestBody, type Vocabulary } from "./req-body.js";
import { formatDateTime } from "./xsd.js";

/** Every namespace of this dialect; answers use the request's. */
export const IEEE_NAMESPACES: readonly string[] = [NS_IEEE_SENSORDATA, ...NS_IEEE_SENSORDATA_ALIASES];

/** Short request flags → the core's field types (`h` has no periods: all of them). */
const SHORT_TYPES: ReadonlyArray<[string, TypeFlag]> = [
  ["m", "momentary"], ["p", "peak"], ["s", "status"], ["c", "computed"], ["i", "identity"],
];

/** The request id if present and non-empty. */
function readableId(el: Element): string | undefined {
  const id = el.attrs.id;
  return typeof id === "string" && id !== "" ? id : undefined;
}

function requireId(el: Element): string {
  const id = readableId(el);
  if (id === undefined) throw new ProtocolError("bad-request", `${el.name}: missing attribute "id"`);
  return id;
}

const IEEE_VOCABULARY: Vocabulary = {
  types: SHORT_TYPES,
  historical: ["h", HISTORICAL_FLAGS],
  all: TYPE_FLAGS,
  // `pt` (partition) takes the place of cacheType (§1.8).
  node: { element: "nd", id: "id", source: "src", partition: "pt" },
  field: { element: "f", name: "n" },
  tokens: { service: "st", device: "dt", user: "ut" },
};

/** Parses <req xmlns='urn:ieee:iot:sd:1.0' id='…'>; the id is client-chosen, echoed unchanged. Throws ProtocolError(bad-request). */
export function parseIeeeRequest(req: Element): IdentifiedRequest {
  const id = requireId(req);
  return { id, request: parseRequestBody(req, IEEE_VOCABULARY) };
}

/** Parses <cancel id='…'/> (IQ set in this dialect). */
export function parseIeeeCancel(cancel: Element): string {
  return requireId(cancel);
}

export function buildIeeeAccepted(ns: string, id: string, queued = false): Element {
  return xml("accepted", { xmlns: ns, id, queued: queued ? "true" : undefined });
}

export function buildIeeeStartedMessage(ns: string, to: string, id: string): Element {
  return xml("message", { to }, xml("started", { xmlns: ns, id }));
}

const ELEMENT: Record<Field["type"], string> = {
  numeric: "q", boolean: "b", date: "d", dateTime: "dt", duration: "dr",
  enum: "e", int: "i", long: "l", string: "s", time: "t",
};

/** Field kind → its short flag; every historical period is `h`. */
export function kindFlag(kind: FieldKind): string {
  switch (kind) {
    case "momentary":
      return "m";
    case "peak":
      return "p";
    case "status":
      return "s";
    case "computed":
      return "c";
    case "identity":
      return "i";
    default:
      return "h";
  }
}

/** One field element. Live readings carry `ar` (automaticReadout); only true flags are written. */
export function buildIeeeField(field: Field): Element {
  const attrs: Record<string, string> = { n: field.name };
  if (field.writable) attrs.ctr = "true";
  attrs[kindFlag(field.kind ?? "momentary")] = "true";
  attrs.ar = "true";
  attrs.v = fieldValueText(field);
  if (field.type === "numeric") attrs.u = field.unit;
  if (field.type === "enum") attrs.t = field.dataType;
  return xml(ELEMENT[field.type], attrs);
}

/** <nd> with one <ts> per distinct reading time, in first-seen order. */
export function buildIeeeNode({ nodeId, fields }: NodeFields): Element {
  const byTime = new Map<string, Element[]>();
  for (const f of fields) {
    const ts = formatDateTime(f.timestamp);
    let list = byTime.get(ts);
    if (!list) byTime.set(ts, (list = []));
    list.push(buildIeeeField(f));
  }
  return xml("nd", { id: nodeId }, [...byTime].map(([v, els]) => xml("ts", { v }, ...els)));
}

function buildIeeeErrorNode(e: NodeFailure): Element {
  return xml("nd", { id: e.nodeId }, xml("ts", { v: formatDateTime(e.timestamp) }, xml("err", {}, e.message)));
}

/**
 * <resp id more?>: the nodes with fields, then each failed node with its <err>. `more` is
 * inverted `done`: absent means the readout is finished.
 */
export function buildIeeeResp(ns: string, id: string, nodes: NodeFields[], failures: NodeFailure[], more = false): Element {
  return xml(
    "resp",
    { xmlns: ns, id, more: more ? "true" : undefined },
    ...nodes.filter((n) => n.fields.length > 0).map(buildIeeeNode),
    ...failures.map(buildIeeeErrorNode),
  );
}

export function buildIeeeRespMessage(ns: string, to: string, id: string, nodes: NodeFields[], failures: NodeFailure[], more = false): Element {
  return xml("message", { to }, buildIeeeResp(ns, id, nodes, failures, more));
}

/**
 * The whole readout as <resp> messages of at most MAX_FIELDS_PER_MESSAGE fields each (no stanza
 * grows past the server's limit); every one but the last says more='true', the errors go last.
 */
export function buildIeeeRespMessages(ns: string, to: string, id: string, nodes: NodeFields[], failures: NodeFailure[]): Element[] {
  const chunks = chunkNodeFields(nodes.filter((n) => n.fields.length > 0));
  if (chunks.length <= 1) return [buildIeeeRespMessage(ns, to, id, chunks[0] ?? [], failures)];
  const out = chunks.map((chunk) => buildIeeeRespMessage(ns, to, id, chunk, [], true));
  out.push(buildIeeeRespMessage(ns, to, id, [], failures));
  return out;
}

/** Whether the readout fits one <resp> (so it may be the IQ result's payload). */
export function fitsOneResp(nodes: readonly NodeFields[]): boolean {
  let n = 0;
  for (const node of nodes) n += node.fields.length;
  return n <= MAX_FIELDS_PER_MESSAGE;
}

// Reading side (test clients and the demo reader): a <resp> back into plain records.

export interface IeeeReadField {
  node: string;
  timestamp: string;
  element: string;
  name: string;
  value: string;
  unit?: string;
  dataType?: string;
  /** Attributes set to 'true' (type and QoS flags), e.g. ["m", "ar"]. */
  flags: string[];
}

export interface IeeeResp {
  id: string;
  more: boolean;
  fields: IeeeReadField[];
  errors: Array<{ nodeId: string; timestamp: string; message: string }>;
}

export function parseIeeeResp(resp: Element): IeeeResp {
  const out: IeeeResp = { id: resp.attrs.id ?? "", more: resp.attrs.more === "true" || resp.attrs.more === "1", fields: [], errors: [] };
  for (const nd of resp.getChildren("nd")) {
    for (const ts of nd.getChildren("ts")) {
      for (const el of ts.getChildElements()) {
        const node = nd.attrs.id ?? "";
        const timestamp = ts.attrs.v ?? "";
        if (el.name === "err") {
          out.errors.push({ nodeId: node, timestamp, message: el.text() });
          continue;
        }
        out.fields.push({
          node,
          timestamp,
          element: el.name,
          name: el.attrs.n ?? "",
          value: el.attrs.v ?? "",
          ...(el.attrs.u !== undefined ? { unit: el.attrs.u } : {}),
          ...(el.attrs.t !== undefined ? { dataType: el.attrs.t } : {}),
          flags: Object.entries(el.attrs).filter(([, v]) => v === "true").map(([k]) => k),
        });
      }
    }
  }
  return out;
}
