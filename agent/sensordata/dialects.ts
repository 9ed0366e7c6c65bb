// The two sensor-data dialects as serialisers over one readout core (docs/protocol.md §1.8):
// how a dialect parses <req>/<cancel> and writes accepted/started/data/rejections. The service
// picks one by the request's namespace and keeps it for the session.
import type { Element } from "@xmpp/xml";
import type { ProtocolError } from "../errors.js";
import type { NodeFailure, NodeFields, ReadoutRequest } from "../protocol/sensordata.js";
import {
  buildAccepted,
  buildCancelled,
  buildReadoutMessages,
  buildRejected,
  buildStartedMessage,
  parseCancel,
  parseReadoutRequest,
  readableSeqnr,
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
  readableId,
} from "../protocol/ieee-sensordata.js";
import { NS_SENSORDATA } from "../protocol/ns.js";
import { buildIqError, buildIqResult } from "../protocol/stanza-error.js";
import type { IqOutcome } from "../transport/iq-router.js";

/** A parsed request in dialect-neutral form: its id (seqnr or id) and what the core needs. */
export interface DialectRequest {
  id: string;
  request: Omit<ReadoutRequest, "seqnr">;
}

export interface Split {
  nodes: NodeFields[];
  failures: NodeFailure[];
}

export interface Dialect {
  readonly name: "xep" | "ieee";
  /** The namespace answers are written in (the request's). */
  readonly ns: string;
  /** The request id when readable, for rejections that echo it. */
  readableId(child: Element): string | undefined;
  /** Throws ProtocolError(bad-request). */
  parse(child: Element): DialectRequest;
  parseCancel(child: Element): string;
  reject(stanza: Element, err: ProtocolError, id: string | undefined): IqOutcome;
  accepted(id: string, queued?: boolean): Element;
  started(to: string, id: string): Element;
  /** The data messages that end a readout. */
  messages(to: string, id: string, split: Split): Element[];
  /** Every value was cached: the whole answer, IQ reply first, for one socket write. */
  immediate(request: Element, to: string, id: string, split: Split): Element[];
  cancelled(stanza: Element, id: string): IqOutcome;
}

/** XEP-0323 seqnr dialect: hybrid rejections (§1.6), data in messages only (§6.9). */
export const XEP_DIALECT: Dialect = {
  name: "xep",
  ns: NS_SENSORDATA,
  readableId: readableSeqnr,
  parse(child) {
    const { seqnr, ...request } = parseReadoutRequest(child);
    return { id: seqnr, request };
  },
  parseCancel,
  reject(stanza, err, seqnr) {
    return {
      send: [
        buildIqError(stanza, {
          type: err.type,
          condition: err.condition,
          text: err.message,
          siblings: seqnr !== undefined ? [buildRejected(seqnr, err.message)] : [],
        }),
      ],
    };
  },
  accepted: buildAccepted,
  started: buildStartedMessage,
  messages: (to, seqnr, { nodes, failures }) => buildReadoutMessages(to, seqnr, nodes, failures),
  // slixmpp reads data from messages only, so the fast path is result + <fields> in one write.
  immediate: (request, to, seqnr, { nodes, failures }) => [
    buildIqResult(request, buildAccepted(seqnr)),
    ...buildReadoutMessages(to, seqnr, nodes, failures),
  ],
  cancelled: (stanza, seqnr) => ({ send: [buildIqResult(stanza, buildCancelled(seqnr))] }),
};

function ieeeDialect(ns: string): Dialect {
  return {
    name: "ieee",
    ns,
    readableId,
    parse(child) {
      const { id, ...request } = parseIeeeRequest(child);
      return { id, request };
    },
    parseCancel: parseIeeeCancel,
    // Stanza errors only in this dialect (no <rejected>).
    reject: (stanza, err) => ({ send: [buildIqError(stanza, { type: err.type, condition: err.condition, text: err.message })] }),
    accepted: (id, queued) => buildIeeeAccepted(ns, id, queued),
    started: (to, id) => buildIeeeStartedMessage(ns, to, id),
    messages: (to, id, { nodes, failures }) => buildIeeeRespMessages(ns, to, id, nodes, failures),
    // The client takes <resp> as the IQ result payload: one stanza answers the readout. A big
    // (historical) answer is accepted instead and follows in several <resp more='true'> messages.
    immediate: (request, to, id, { nodes, failures }) =>
      fitsOneResp(nodes)
        ? [buildIqResult(request, buildIeeeResp(ns, id, nodes, failures))]
        : [buildIqResult(request, buildIeeeAccepted(ns, id)), ...buildIeeeRespMessages(ns, to, id, nodes, failures)],
    cancelled: (stanza) => ({ send: [buildIqResult(stanza)] }),
  };
}

const IEEE_DIALECTS = new Map(IEEE_NAMESPACES.map((ns) => [ns, ieeeDialect(ns)]));

/** The dialect of a request's namespace (the seqnr dialect for its own namespace). */
export function dialectFor(ns: string | undefined): Dialect {
  return (ns !== undefined ? IEEE_DIALECTS.get(ns) : undefined) ?? XEP_DIALECT;
}
