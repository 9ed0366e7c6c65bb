// XEP-0323 request handling (protocol.md §1.2–§1.7, §5, §6): access, node checks, immediate
// and deferred readouts, cancel. The fast path (every value cached) answers with the IQ
// result and the <fields> message in one socket write.
import type { Logger } from "pino";
import type { Element } from "@xmpp/xml";
import { ProtocolError } from "./errors.js";
import type { AccessPolicy } from "./access.js";
import type { Poller } from "./poller.js";
import { cachedOutcomes, readOutcomes, selectNodes, splitOutcomes, type NodeOutcome } from "./readout.js";
import { historicalOutcomes, mergeOutcomes, type HistorySource } from "./readout.js";
import {
  buildAccepted,
  buildCancelled,
  buildReadoutMessages,
  buildRejected,
  buildStartedMessage,
  parseCancel,
  parseReadoutRequest,
  readableSeqnr,
  type ReadoutRequest,
} from "./protocol/sensordata.js";
import { buildIqError, buildIqResult } from "./protocol/stanza-error.js";
import type { IqHandler, IqOutcome, IqRequest } from "./transport/iq-router.js";

/** Longest deferral we keep a timer for (setTimeout's limit is ~24.8 days). */
export const MAX_DEFER_MS = 7 * 24 * 3600_000;

interface Session {
  cancelled: boolean;
  timer?: NodeJS.Timeout;
}

export type Sender = (stanzas: Element[]) => Promise<boolean>;

export class SensorDataService {
  readonly #sessions = new Map<string, Session>();

  constructor(
    private readonly pollers: () => readonly Poller[],
    private readonly access: AccessPolicy,
    private readonly send: Sender,
    private readonly log: Logger,
    /** The local history store, for historical* requests (none: no historical fields). */
    private readonly history?: HistorySource,
  ) {}

  get activeSessions(): number {
    return this.#sessions.size;
  }

  readonly handleRequest: IqHandler = ({ stanza, child, from }) => {
    const seqnr = readableSeqnr(child);
    let req: ReadoutRequest;
    let nodes: Poller[];
    try {
      req = parseReadoutRequest(child);
      if (!this.access.canRead(from)) throw new ProtocolError("forbidden", "Access denied.");
      nodes = selectNodes(req, this.pollers());
    } catch (err) {
      if (err instanceof ProtocolError) return reject(stanza, err, seqnr);
      throw err;
    }
    const key = sessionKey(from, req.seqnr);
    this.#drop(key); // a new request with the same (JID, seqnr) replaces a stale one (§6.5)

    const delay = req.when ? req.when.getTime() - Date.now() : 0;
    if (delay > MAX_DEFER_MS) {
      return reject(stanza, new ProtocolError("bad-request", "req@when is more than 7 days ahead."), req.seqnr);
    }
    if (delay > 0) return this.#defer(stanza, from, req, nodes, key, delay);

    const accepted = buildIqResult(stanza, buildAccepted(req.seqnr));
    const cached = cachedOutcomes(req, nodes);
    if (cached) return { send: [accepted, ...this.#messages(from, req.seqnr, this.#withHistory(req, nodes, cached))] };

    const session: Session = { cancelled: false };
    this.#sessions.set(key, session);
    return { send: [accepted], after: () => void this.#run(from, req, nodes, key, session) };
  };

  readonly handleCancel: IqHandler = ({ stanza, child, from }: IqRequest): IqOutcome => {
    const seqnr = readableSeqnr(child);
    try {
      parseCancel(child);
    } catch (err) {
      if (err instanceof ProtocolError) return reject(stanza, err, seqnr);
      throw err;
    }
    const key = sessionKey(from, seqnr!);
    if (!this.#drop(key)) {
      return reject(stanza, new ProtocolError("item-not-found", "No active readout with this seqnr."), seqnr);
    }
    return { send: [buildIqResult(stanza, buildCancelled(seqnr!))] };
  };

  /** Cancel every pending readout (shutdown). Queued requests are lost, which §1.4 allows. */
  cancelAll(): void {
    for (const key of [...this.#sessions.keys()]) this.#drop(key);
  }

  #defer(stanza: Element, from: string, req: ReadoutRequest, nodes: Poller[], key: string, delay: number): IqOutcome {
    const session: Session = { cancelled: false };
    this.#sessions.set(key, session);
    session.timer = setTimeout(() => {
      if (session.cancelled) return;
      void this.send([buildStartedMessage(from, req.seqnr)]).then(() => this.#run(from, req, nodes, key, session));
    }, delay);
    this.log.debug({ from, seqnr: req.seqnr, delayMs: delay }, "readout queued");
    return { send: [buildIqResult(stanza, buildAccepted(req.seqnr, true))] };
  }

  async #run(from: string, req: ReadoutRequest, nodes: Poller[], key: string, session: Session): Promise<void> {
    try {
      const outcomes = this.#withHistory(req, nodes, await readOutcomes(req, nodes));
      if (session.cancelled) return;
      const sent = await this.send(this.#messages(from, req.seqnr, outcomes));
      if (!sent) this.log.warn({ from, seqnr: req.seqnr }, "readout finished while offline; result dropped");
    } catch (err) {
      this.log.error({ err, from, seqnr: req.seqnr }, "readout failed");
    } finally {
      if (this.#sessions.get(key) === session) this.#sessions.delete(key);
    }
  }

  #withHistory(req: ReadoutRequest, nodes: Poller[], live: NodeOutcome[]): NodeOutcome[] {
    return mergeOutcomes(live, historicalOutcomes(req, nodes, this.history));
  }

  #messages(to: string, seqnr: string, outcomes: NodeOutcome[]): Element[] {
    const { nodes, failures } = splitOutcomes(outcomes);
    return buildReadoutMessages(to, seqnr, nodes, failures);
  }

  #drop(key: string): boolean {
    const s = this.#sessions.get(key);
    if (!s) return false;
    s.cancelled = true;
    if (s.timer) clearTimeout(s.timer);
    this.#sessions.delete(key);
    return true;
  }
}

function sessionKey(from: string, seqnr: string): string {
  return `${from}\u0000${seqnr}`;
}

/** The hybrid rejection (§1.6): <rejected> for v0.2/slixmpp clients beside the RFC 6120 error. */
function reject(stanza: Element, err: ProtocolError, seqnr: string | undefined): IqOutcome {
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
}
