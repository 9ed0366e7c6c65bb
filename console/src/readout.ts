// XEP-0323 readouts as the console uses them: the seqnr dialect for momentary and historical
// requests (every Thing speaks it), the IEEE <resp> for event-subscription pushes. Pure: stanza
// in, records out; the session (session.ts) does the sending and waiting.
import { xml, type Element } from "@xmpp/xml";
import { NS_IEEE_SENSORDATA, NS_SENSORDATA } from "../../agent/protocol/ns.js";
import { parseIeeeResp } from "../../agent/protocol/ieee-sensordata.js";

export const NS_EVENTS = "urn:ieee:iot:events:1.0";

export interface ReadField {
  node: string;
  /** ms since the epoch */
  time: number;
  name: string;
  value: string;
  unit?: string;
  /** Element name: numeric, boolean, int, string, … */
  kind: string;
  flags: string[];
  writable: boolean;
}

export interface NodeFailure {
  node: string;
  time: number;
  message: string;
}

export interface ReadoutOptions {
  /** Field-type flags: momentary, status, identity, historicalSecond, … */
  types: string[];
  nodes?: string[];
  fields?: string[];
  from?: Date;
  to?: Date;
}

export function buildReadoutIq(to: string, seqnr: string, o: ReadoutOptions): Element {
  const attrs: Record<string, string> = { xmlns: NS_SENSORDATA, seqnr };
  for (const t of o.types) attrs[t] = "true";
  if (o.from) attrs.from = o.from.toISOString();
  if (o.to) attrs.to = o.to.toISOString();
  return xml(
    "iq",
    { type: "get", to },
    xml("req", attrs, ...(o.nodes ?? []).map((n) => xml("node", { nodeId: n })), ...(o.fields ?? []).map((n) => xml("field", { name: n }))),
  );
}

export interface ReadoutPart {
  fields: ReadField[];
  failures: NodeFailure[];
  done: boolean;
}

const time = (s: string | undefined) => {
  const t = s ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? Date.now() : t;
};

/** The <fields>/<failure> of one message for `seqnr` (null when the message is about something else). */
export function parseReadoutMessage(msg: Element, seqnr: string): ReadoutPart | null {
  const parts = [...msg.getChildren("fields", NS_SENSORDATA), ...msg.getChildren("failure", NS_SENSORDATA)].filter((p) => p.attrs.seqnr === seqnr);
  if (parts.length === 0) return null;
  const out: ReadoutPart = { fields: [], failures: [], done: false };
  for (const p of parts) {
    if (p.attrs.done === "true") out.done = true;
    if (p.name === "failure") {
      for (const e of p.getChildren("error")) out.failures.push({ node: e.attrs.nodeId ?? "", time: time(e.attrs.timestamp), message: e.text() });
      continue;
    }
    for (const node of p.getChildren("node")) {
      for (const ts of node.getChildren("timestamp")) {
        for (const el of ts.getChildElements()) {
          const flags = Object.entries(el.attrs).filter(([, v]) => v === "true").map(([k]) => k);
          out.fields.push({
            node: node.attrs.nodeId ?? "",
            time: time(ts.attrs.value),
            name: el.attrs.name ?? "",
            value: el.attrs.value ?? "",
            ...(el.attrs.unit !== undefined ? { unit: el.attrs.unit } : {}),
            kind: el.name,
            flags,
            writable: el.attrs.writable === "true",
          });
        }
      }
    }
  }
  return out;
}

/** IEEE element names and short type flags → the seqnr dialect's, so both read the same. */
const IEEE_KIND: Record<string, string> = { q: "numeric", b: "boolean", d: "date", dt: "dateTime", dr: "duration", e: "enum", i: "int", l: "long", s: "string", t: "time" };
const IEEE_FLAG: Record<string, string> = { m: "momentary", p: "peak", s: "status", c: "computed", i: "identity", h: "historical" };

/** A subscription push (IEEE <resp> in a message) as fields and failures. */
export function parseEventMessage(msg: Element, id: string): ReadoutPart | null {
  const resp = msg.getChildren("resp", NS_IEEE_SENSORDATA).find((r) => r.attrs.id === id);
  if (!resp) return null;
  const r = parseIeeeResp(resp);
  return {
    done: !r.more,
    fields: r.fields.map((f) => ({
      node: f.node,
      time: time(f.timestamp),
      name: f.name,
      value: f.value,
      ...(f.unit !== undefined ? { unit: f.unit } : {}),
      kind: IEEE_KIND[f.element] ?? f.element,
      flags: f.flags.map((x) => IEEE_FLAG[x] ?? x),
      writable: f.flags.includes("ctr"),
    })),
    failures: r.errors.map((e) => ({ node: e.nodeId, time: time(e.timestamp), message: e.message })),
  };
}

/** <subscribe> for every momentary field, with a heartbeat; pushes reuse `id`. */
export function buildSubscribeIq(to: string, id: string, minInterval = "PT1S", maxInterval = "PT1M"): Element {
  return xml("iq", { type: "get", to }, xml("subscribe", { xmlns: NS_EVENTS, id, m: "true", minInt: minInterval, maxInt: maxInterval, req: "true" }));
}

export function buildUnsubscribeIq(to: string, id: string): Element {
  return xml("iq", { type: "get", to }, xml("unsubscribe", { xmlns: NS_EVENTS, id }));
}
