// XEP-0198 Stream Management (urn:xmpp:sm:3) nonzas: build and parse, nothing else. The counters,
// the queue and the resumption live in agent/transport/ (docs/reconnect.md "Stream management").
import { xml, type Element } from "@xmpp/xml";

export const NS_SM = "urn:xmpp:sm:3";
const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

/** The largest value of a sequence number: 'h' is an unsigned 32-bit integer that wraps to 0 (XEP-0198 §5). */
export const H_MAX = 0xffff_ffff;

export function buildEnable(): Element {
  return xml("enable", { xmlns: NS_SM, resume: "true" });
}

export function buildResume(previd: string, h: number): Element {
  return xml("resume", { xmlns: NS_SM, previd, h: String(h) });
}

export function buildAck(h: number): Element {
  return xml("a", { xmlns: NS_SM, h: String(h) });
}

export function buildAckRequest(): Element {
  return xml("r", { xmlns: NS_SM });
}

export function isSm(el: Element, name: "enabled" | "resumed" | "failed" | "a" | "r"): boolean {
  return el.name === name && el.attrs.xmlns === NS_SM;
}

/** An 'h' attribute: a decimal unsigned 32-bit integer; undefined when absent or malformed. */
export function parseH(value: unknown): number | undefined {
  if (typeof value !== "string" || !/^\d{1,10}$/.test(value)) return undefined;
  const n = Number(value);
  return n <= H_MAX ? n : undefined;
}

export interface Enabled {
  /** SM-ID to resume with; absent when the server does not allow resumption. */
  id?: string;
  resume: boolean;
  /** The server's longest resumption time in seconds ('max'), if it said. */
  maxSeconds?: number;
  /** Where to reconnect to resume ('location': host or IP, optionally with a port). */
  location?: string;
}

export function parseEnabled(el: Element): Enabled {
  const resume = el.attrs.resume === "true" || el.attrs.resume === "1";
  const id = typeof el.attrs.id === "string" && el.attrs.id !== "" ? el.attrs.id : undefined;
  const max = typeof el.attrs.max === "string" && /^\d{1,9}$/.test(el.attrs.max) ? Number(el.attrs.max) : undefined;
  const location = typeof el.attrs.location === "string" && el.attrs.location.trim() !== "" ? el.attrs.location.trim() : undefined;
  return { resume: resume && id !== undefined, ...(id !== undefined && { id }), ...(max !== undefined && { maxSeconds: max }), ...(location && { location }) };
}

export interface Failed {
  /** Stanzas the server handled before the session ended (XEP-0198 §4: optional on <failed/>). */
  h?: number;
  /** The error condition inside, e.g. "item-not-found" (session gone), "unexpected-request". */
  condition?: string;
}

export function parseFailed(el: Element): Failed {
  const h = parseH(el.attrs.h);
  const condition = el.getChildElements().find((c) => c.attrs.xmlns === NS_STANZAS)?.name;
  return { ...(h !== undefined && { h }), ...(condition && { condition }) };
}

/** 'h' of an <a/> or <resumed/>; undefined when missing or malformed. */
export function parseAckH(el: Element): number | undefined {
  return parseH(el.attrs.h);
}
