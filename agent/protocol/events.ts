// IEEE XMPP IoT event subscriptions (`urn:ieee:iot:events:1.0`; neuro-foundation.io
// `urn:nf:iot:events:1.0`), as IoTGateway's SensorClient sends them and SensorServer answers
// (see docs/people.md "Event subscriptions"). Pure parse/build over @xmpp/xml elements.
//
// <subscribe id m p s c i h all minInt maxInt maxAge st dt ut req> with <nd id src pt> and
// <f n v by up dn> children, in an IQ get or set; answered <accepted id/> in the matching
// sensor-data namespace; <unsubscribe id/> (get or set) → empty result, or item-not-found.
import { xml, type Element } from "@xmpp/xml";
import { ProtocolError } from "../errors.js";
import { HISTORICAL_FLAGS, type NodeRef, type TypeFlag } from "./readout-request.js";
import { parseXsBoolean } from "./xsd.js";

export const NS_IEEE_EVENTS = "urn:ieee:iot:events:1.0";
export const NS_NF_EVENTS = "urn:nf:iot:events:1.0";
export const EVENT_NAMESPACES: readonly string[] = [NS_IEEE_EVENTS, NS_NF_EVENTS];

/** The sensor-data namespace a subscription's answers and pushes are written in. */
export function sensorDataNsFor(eventsNs: string | undefined): string {
  return eventsNs === NS_NF_EVENTS ? "urn:nf:iot:sd:1.0" : "urn:ieee:iot:sd:1.0";
}

/** A field rule: trigger when the value moves `by` either way, `up` upwards or `dn` downwards from the reference. */
export interface FieldRule {
  name: string;
  /** The subscriber's current value (the first reference); else the first value seen. */
  v?: number | string;
  by?: number;
  up?: number;
  dn?: number;
}

export interface SubscribeRequest {
  id: string;
  /** Sensor-data namespace of the answers. */
  ns: string;
  types: ReadonlySet<TypeFlag>;
  nodes: NodeRef[];
  fields: FieldRule[];
  minIntMs?: number;
  maxIntMs?: number;
  maxAgeMs?: number;
  /** Also read once, right away. */
  req: boolean;
  serviceToken?: string;
  deviceToken?: string;
  userToken?: string;
}

const SHORT_TYPES: ReadonlyArray<[string, TypeFlag]> = [
  ["m", "momentary"],
  ["p", "peak"],
  ["s", "status"],
  ["c", "computed"],
  ["i", "identity"],
];

function requireId(el: Element): string {
  const id = el.attrs.id;
  if (typeof id !== "string" || id === "") throw new ProtocolError("bad-request", `${el.name}: missing attribute "id"`);
  return id;
}

const DURATION = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** xs:duration → ms (a year counts 365 days, a month 30: these are intervals, not dates). */
export function parseXsDuration(text: string, where: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new ProtocolError("bad-request", `${where}: expected xs:duration like "PT5S", got "${text}"`);
  const [, y, mo, d, h, mi, s] = m;
  const days = Number(y ?? 0) * 365 + Number(mo ?? 0) * 30 + Number(d ?? 0);
  return Math.round(((days * 24 + Number(h ?? 0)) * 60 + Number(mi ?? 0)) * 60_000 + Number(s ?? 0) * 1000);
}

function number(text: string | undefined, where: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n)) throw new ProtocolError("bad-request", `${where}: expected a number, got "${text}"`);
  return n;
}

/** Parses <subscribe>. Throws ProtocolError(bad-request). */
export function parseSubscribe(el: Element): SubscribeRequest {
  const id = requireId(el);
  const a = el.attrs;
  const flag = (name: string) => parseXsBoolean(a[name], `subscribe@${name}`) === true;
  const types = new Set<TypeFlag>();
  for (const [attr, type] of SHORT_TYPES) if (flag(attr)) types.add(type);
  if (flag("h")) for (const t of HISTORICAL_FLAGS) types.add(t);
  if (flag("all") || types.size === 0) for (const [, t] of SHORT_TYPES) types.add(t);

  const nodes: NodeRef[] = [];
  const fields: FieldRule[] = [];
  for (const child of el.getChildElements()) {
    if (child.name === "nd") {
      const nodeId = child.attrs.id;
      if (!nodeId) throw new ProtocolError("bad-request", 'subscribe/nd: missing attribute "id"');
      nodes.push({ nodeId, ...(child.attrs.src ? { sourceId: child.attrs.src } : {}), ...(child.attrs.pt ? { cacheType: child.attrs.pt } : {}) });
    } else if (child.name === "f") {
      const name = child.attrs.n;
      if (!name) throw new ProtocolError("bad-request", 'subscribe/f: missing attribute "n"');
      const v = child.attrs.v;
      const rule: FieldRule = { name };
      if (v !== undefined) rule.v = Number.isFinite(Number(v)) && v.trim() !== "" ? Number(v) : v;
      for (const k of ["by", "up", "dn"] as const) {
        const n = number(child.attrs[k], `subscribe/f@${k}`);
        if (n !== undefined) {
          if (n < 0) throw new ProtocolError("bad-request", `subscribe/f@${k}: expected a change >= 0, got "${child.attrs[k]}"`);
          rule[k] = n;
        }
      }
      fields.push(rule);
    }
  }
  const duration = (name: "minInt" | "maxInt" | "maxAge") => (a[name] === undefined ? undefined : parseXsDuration(a[name]!, `subscribe@${name}`));
  const minIntMs = duration("minInt");
  const maxIntMs = duration("maxInt");
  const maxAgeMs = duration("maxAge");
  if (minIntMs !== undefined && maxIntMs !== undefined && maxIntMs < minIntMs) {
    throw new ProtocolError("bad-request", "subscribe: maxInt is shorter than minInt");
  }
  if (maxIntMs !== undefined && maxIntMs <= 0) throw new ProtocolError("bad-request", "subscribe@maxInt: expected a positive duration");
  const out: SubscribeRequest = { id, ns: sensorDataNsFor(el.getNS()), types, nodes, fields, req: flag("req") };
  if (minIntMs !== undefined) out.minIntMs = minIntMs;
  if (maxIntMs !== undefined) out.maxIntMs = maxIntMs;
  if (maxAgeMs !== undefined) out.maxAgeMs = maxAgeMs;
  if (a.st !== undefined) out.serviceToken = a.st;
  if (a.dt !== undefined) out.deviceToken = a.dt;
  if (a.ut !== undefined) out.userToken = a.ut;
  return out;
}

export function parseUnsubscribe(el: Element): string {
  return requireId(el);
}

export function buildEventAccepted(ns: string, id: string): Element {
  return xml("accepted", { xmlns: ns, id });
}

/** A subscribe element as IoTGateway's SensorClient writes it (tests, demo, bench). */
export function buildSubscribe(
  ns: string,
  o: { id: string; types?: string[]; nodes?: string[]; fields?: FieldRule[]; minInt?: string; maxInt?: string; req?: boolean },
): Element {
  const attrs: Record<string, string> = { xmlns: ns, id: o.id };
  for (const t of o.types ?? ["m"]) attrs[t] = "true";
  if (o.minInt) attrs.minInt = o.minInt;
  if (o.maxInt) attrs.maxInt = o.maxInt;
  if (o.req) attrs.req = "true";
  return xml(
    "subscribe",
    attrs,
    ...(o.nodes ?? []).map((id) => xml("nd", { id })),
    ...(o.fields ?? []).map((f) =>
      xml("f", {
        n: f.name,
        ...(f.v !== undefined ? { v: String(f.v) } : {}),
        ...(f.by !== undefined ? { by: String(f.by) } : {}),
        ...(f.up !== undefined ? { up: String(f.up) } : {}),
        ...(f.dn !== undefined ? { dn: String(f.dn) } : {}),
      }),
    ),
  );
}
