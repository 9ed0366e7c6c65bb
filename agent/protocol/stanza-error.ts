// IQ error replies (RFC 6120 §8.3), with optional sibling payloads such as XEP-0323 <rejected>.
import { xml, type Element } from "@xmpp/xml";
import type { StanzaCondition, StanzaErrorType } from "../errors.js";
import { NS_STANZAS } from "./ns.js";

export function buildIqResult(request: Element, ...children: Element[]): Element {
  return xml("iq", { type: "result", to: request.attrs.from, from: request.attrs.to, id: request.attrs.id }, ...children);
}

export function buildErrorElement(type: StanzaErrorType, condition: StanzaCondition, text?: string, ...extra: Element[]): Element {
  return xml(
    "error",
    { type },
    xml(condition, { xmlns: NS_STANZAS }),
    text ? xml("text", { xmlns: NS_STANZAS, "xml:lang": "en" }, text) : undefined,
    ...extra,
  );
}

export interface IqErrorOptions {
  type: StanzaErrorType;
  condition: StanzaCondition;
  text?: string;
  /** Payloads placed before <error> (e.g. <rejected>), for v0.2 / slixmpp clients (docs/protocol.md §1.6). */
  siblings?: Element[];
  /** Application-specific children inside <error> (e.g. XEP-0325 paramError). */
  inside?: Element[];
}

export function buildIqError(request: Element, options: IqErrorOptions): Element {
  return xml(
    "iq",
    { type: "error", to: request.attrs.from, from: request.attrs.to, id: request.attrs.id },
    ...(options.siblings ?? []),
    buildErrorElement(options.type, options.condition, options.text, ...(options.inside ?? [])),
  );
}
