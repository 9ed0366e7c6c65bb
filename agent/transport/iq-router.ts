// Routes incoming IQ get/set by (type, namespace, element) in the manner of xmpp.js's
// iq/callee, but a handler may return several stanzas (IQ result + <fields> message) that
// are written to the socket in one go, and error replies may carry sibling payloads.
import type { Logger } from "pino";
import type { Element } from "@xmpp/xml";
import { ProtocolError } from "../errors.js";
import { buildIqError, buildIqResult } from "../protocol/stanza-error.js";
import { buildRefusal } from "../protocol/refusal.js";
import type { FollowUp } from "./follow-up.js";

export interface IqRequest {
  stanza: Element;
  /** The single payload child. */
  child: Element;
  /** Full JID of the sender (the server's domain if absent). */
  from: string;
}

/**
 * Stanzas to send in one write (the IQ reply first) and what follows once they are on the wire;
 * or an Element payload to wrap in a result; or undefined for an empty result. A handler refuses
 * by throwing a ProtocolError (answered by buildRefusal).
 */
export interface IqOutcome {
  send: Element[];
  followUp?: FollowUp;
}
export type IqReply = IqOutcome | Element | undefined;
export type IqHandler = (req: IqRequest) => IqReply | Promise<IqReply>;

export class IqRouter {
  readonly #routes = new Map<string, IqHandler>();

  constructor(
    private readonly log: Logger,
    private readonly serverDomain: string,
  ) {}

  on(types: "get" | "set" | "get,set", ns: string, name: string, handler: IqHandler): this {
    for (const type of types.split(",")) this.#routes.set(`${type} ${ns} ${name}`, handler);
    return this;
  }

  /** Returns the stanzas that answer `stanza`, or undefined if it is not a request IQ. */
  async dispatch(stanza: Element): Promise<IqOutcome | undefined> {
    if (stanza.name !== "iq") return undefined;
    const type = stanza.attrs.type;
    if (type !== "get" && type !== "set") return undefined; // never answer result/error (RFC 6120 §8.2.3)
    const children = stanza.getChildElements();
    // RFC 6120 §8.2.3: a get/set IQ carries exactly one payload.
    if (children.length !== 1) {
      return { send: [buildIqError(stanza, { type: "modify", condition: "bad-request", text: "IQ get/set must have exactly one child" })] };
    }
    const child = children[0]!;
    const handler = this.#routes.get(`${type} ${child.getNS() ?? ""} ${child.name}`);
    if (!handler) return { send: [buildIqError(stanza, { type: "cancel", condition: "service-unavailable" })] };
    const req: IqRequest = { stanza, child, from: stanza.attrs.from ?? this.serverDomain };
    try {
      const reply = await handler(req);
      if (reply === undefined) return { send: [buildIqResult(stanza)] };
      if ("send" in reply && Array.isArray(reply.send)) return reply;
      return { send: [buildIqResult(stanza, reply as Element)] };
    } catch (err) {
      if (err instanceof ProtocolError) return { send: [buildRefusal(stanza, child, err)] };
      this.log.error({ err, from: req.from, payload: child.name }, "IQ handler failed");
      return { send: [buildIqError(stanza, { type: "cancel", condition: "internal-server-error" })] };
    }
  }
}
