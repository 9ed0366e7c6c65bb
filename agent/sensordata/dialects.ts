// The two sensor-data dialects as serialisers over one readout core (docs/protocol.md §1.8):
// how a dialect parses <req>/<cancel> and writes accepted/started/data. Refusals are the same
// for both (protocol/refusal.ts). The service picks a dialect by the request's namespace and
// keeps it for the session.
import type { Element } from "@xmpp/xml";
import type { IdentifiedRequest } from "../protocol/readout-request.js";
import type { NodeFailure, NodeFields } from "../protocol/readout-outcome.js";
import {
  buildAccepted,
  buildCancelled,
  buildReadoutMessages,
  buildStartedMessage,
  parseCancel,
  parseReadoutRequest,
} from "../protocol/sensordata.js";
import {
  buildIeeeAccepted,
  buildIeeeResp,
  buildIeeeRespMessages,
  fitsOneResp,
  buildIeeeStartedMessage,
  IEEE_NAMESPACES,
  parseIeeeCancel,
  parseIeeeRequest,
} from "../protocol/ieee-sensordata.js";
import { NS_SENSORDATA } from "../protocol/ns.js";
import { buildIqResult } from "../protocol/stanza-error.js";

export interface Split {
  nodes: NodeFields[];
  failures: NodeFailure[];
}

export interface Dialect {
  readonly name: "xep" | "ieee";
  /** The namespace answers are written in (the request's). */
  readonly ns: string;
  /** Throws ProtocolError(bad-request). */
  parse(child: Element): IdentifiedRequest;
  parseCancel(child: Element): string;
  accepted(id: string, queued?: boolean): Element;
  started(to: string, id: string): Element;
  /** The data messages that end a readout. */
  messages(to: string, id: string, split: Split): Element[];
  /** Every value was cached: the whole answer, IQ reply first, for one socket write. */
  immediate(request: Element, to: string, id: string, split: Split): Element[];
  /** The payload of the result answering a cancel (none: an empty result). */
  cancelled(id: string): Element | undefined;
}

/** XEP-0323 seqnr dialect: data in messages only (§6.9). */
export const XEP_DIALECT: Dialect = {
  name: "xep",
  ns: NS_SENSORDATA,
  parse: parseReadoutRequest,
  parseCancel,
  accepted: buildAccepted,
  started: buildStartedMessage,
  messages: (to, seqnr, { nodes, failures }) => buildReadoutMessages(to, seqnr, nodes, failures),
  // slixmpp reads data from messages only, so the fast path is result + <fields> in one write.
  immediate: (request, to, seqnr, { nodes, failures }) => [
    buildIqResult(request, buildAccepted(seqnr)),
    ...buildReadoutMessages(to, seqnr, nodes, failures),
  ],
  cancelled: buildCancelled,
};

function ieeeDialect(ns: string): Dialect {
  return {
    name: "ieee",
    ns,
    parse: parseIeeeRequest,
    parseCancel: parseIeeeCancel,
    accepted: (id, queued) => buildIeeeAccepted(ns, id, queued),
    started: (to, id) => buildIeeeStartedMessage(ns, to, id),
    messages: (to, id, { nodes, failures }) => buildIeeeRespMessages(ns, to, id, nodes, failures),
    // The client takes <resp> as the IQ result payload: one stanza answers the readout. A big
    // (historical) answer is accepted instead and follows in several <resp more='true'> messages.
    immediate: (request, to, id, { nodes, failures }) =>
      fitsOneResp(nodes)
        ? [buildIqResult(request, buildIeeeResp(ns, id, nodes, failures))]
        : [buildIqResult(request, buildIeeeAccepted(ns, id)), ...buildIeeeRespMessages(ns, to, id, nodes, failures)],
    cancelled: () => undefined,
  };
}

const IEEE_DIALECTS = new Map(IEEE_NAMESPACES.map((ns) => [ns, ieeeDialect(ns)]));

/** The dialect of a request's namespace (the seqnr dialect for its own namespace). */
export function dialectFor(ns: string | undefined): Dialect {
  return (ns !== undefined ? IEEE_DIALECTS.get(ns) : undefined) ?? XEP_DIALECT;
}
