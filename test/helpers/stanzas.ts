// Small readers of stanzas and thrown protocol errors, shared by the protocol, e2e and chaos tests.
import type { Element } from "@xmpp/xml";
import { ProtocolError } from "../../agent/errors.js";
import { NS_STANZAS } from "../../agent/protocol/ns.js";

/** `type/condition: message` of the ProtocolError `fn` throws; undefined if it returns. Other errors are rethrown. */
export function thrownCondition(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return `${err.type}/${err.condition}: ${err.message}`;
    throw err;
  }
  return undefined;
}

/** The RFC 6120 §8.3.3 condition of an error reply: its child in the stanzas namespace other than <text>. */
export function stanzaCondition(reply: Element): string | undefined {
  return reply
    .getChild("error")
    ?.getChildElements()
    .find((c) => c.getNS() === NS_STANZAS && c.name !== "text")?.name;
}

/** [error type, condition] of an IQ error reply (undefined parts if it is not one). */
export function errorOf(reply: Element): [string | undefined, string | undefined] {
  return [reply.getChild("error")?.attrs.type, stanzaCondition(reply)];
}

/** Matches a <presence type=…> whose sender's bare JID is `from`. */
export const presenceOf =
  (type: string, from = "thing@localhost") =>
  (el: Element): boolean =>
    el.name === "presence" && el.attrs.type === type && el.attrs.from?.split("/")[0] === from;
