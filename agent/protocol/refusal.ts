// The one way an IQ request is refused: a stanza error (RFC 6120 §8.3) plus, beside it, the
// legacy payload that older clients of the request's protocol need before they report the
// refusal at all. Used by the request gate (strangers, floods) and by the IQ router for every
// ProtocolError a handler throws (bad requests, forbidden, unknown nodes or readouts, ...).
//
// - Sensor data, seqnr dialect: <rejected seqnr> when the request's seqnr is readable (clients of
//   XEP-0323 v0.2, e.g. slixmpp, wait for it and ignore a bare error).
// - Control (<set>, <getForm>): <setResponse responseCode> (XEP-0325 v0.2 clients, e.g. slixmpp,
//   fire no callback without it), and <paramError var> inside <error> when a parameter is at fault.
// - Everything else, the IEEE dialect included: the stanza error alone.
import type { Element } from "@xmpp/xml";
import type { ProtocolError } from "../errors.js";
import { buildParamError, buildSetResponse, ParamError, responseCodeFor } from "./control.js";
import { NS_CONTROL, NS_SENSORDATA } from "./ns.js";
import { buildRejected, readableSeqnr } from "./sensordata.js";
import { buildIqError } from "./stanza-error.js";

/** Why a request is refused: a ProtocolError, or the same fields without an Error's cost. */
export type Refusal = Pick<ProtocolError, "condition" | "type" | "message">;

/** The IQ error refusing `request` (whose payload is `child`, when it has one) for `err`. */
export function buildRefusal(request: Element, child: Element | undefined, err: Refusal): Element {
  const siblings: Element[] = [];
  const inside: Element[] = [];
  const ns = child?.getNS();
  if (child && ns === NS_SENSORDATA) {
    const seqnr = readableSeqnr(child);
    if (seqnr !== undefined) siblings.push(buildRejected(seqnr, err.message));
  } else if (child && ns === NS_CONTROL && (child.name === "set" || child.name === "getForm")) {
    siblings.push(buildSetResponse(responseCodeFor(err.condition)));
  }
  if (err instanceof ParamError) inside.push(buildParamError(err.param, err.message));
  return buildIqError(request, { type: err.type, condition: err.condition, text: err.message, siblings, inside });
}
