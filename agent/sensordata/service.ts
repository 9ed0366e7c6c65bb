// Sensor-data request handling for both dialects (docs/protocol.md §1.2–§1.8, §5, §6): access,
// node checks, immediate and deferred readouts, cancel. One readout core (readout.ts), two
// serialisers (dialects.ts) chosen by the request's namespace. The fast path (every value
// cached) answers in one socket write: IQ result + <fields> message in the seqnr dialect, an IQ
// result carrying <resp> in the IEEE dialect. Otherwise the reply is <accepted> and the data
// follow as the outcome's followUp, which the wiring sends. This service sends nothing itself,
// and refuses by throwing ProtocolError (the router answers with protocol/refusal.ts).
import { setTimeout } from "node:timers/promises";
import type { Logger } from "pino";
import type { Element } from "@xmpp/xml";
import { ProtocolError } from "../errors.js";
import { restrictRead, type AccessPolicy, type ReadDecision } from "../access/policy.js";
import type { Poller } from "../sensors/poller.js";
import type { HistorySource } from "../history/outcomes.js";
import type { ReadoutRequest } from "../protocol/readout-request.js";
import type { NodeOutcome } from "../protocol/readout-outcome.js";
import { buildIqResult } from "../protocol/stanza-error.js";
import { cachedOutcomes, readOutcomes, runReadout, selectNodes, splitOutcomes, withHistory } from "./readout.js";
import { dialectFor, type Dialect } from "./dialects.js";
import type { FollowUp } from "../transport/follow-up.js";
import type { IqHandler, IqOutcome } from "../transport/iq-router.js";

/** Longest deferral we keep a timer for (setTimeout's limit is ~24.8 days). */
export const MAX_DEFER_MS = 7 * 24 * 3600_000;

export interface SensorDataServiceOptions {
  /** The live sensors (a function, so a reload can swap them). */
  pollers: () => readonly Poller[];
  access: AccessPolicy;
  log: Logger;
  /** The local history store, for historical* requests (none: no historical fields). */
  history?: HistorySource | undefined;
}

/** A request as asked over IQ, before the access decision. */
interface Asked {
  dialect: Dialect;
  stanza: Element;
  /** Full JID of the requester; the data go back to it. */
  from: string;
  id: string;
  request: ReadoutRequest;
}

/** An accepted readout whose data follow the reply. */
interface Job {
  dialect: Dialect;
  from: string;
  id: string;
  /** As allowed (narrowed by the access decision). */
  request: ReadoutRequest;
  nodes: Poller[];
  /** When to read (epoch ms) for a deferred readout, which first sends <started>. */
  at?: number;
  key: string;
  /** Aborted by a cancel, a replacing request with the same id, or shutdown. */
  session: AbortController;
}

export class SensorDataService {
  readonly #sessions = new Map<string, AbortController>();
  readonly #pollers: () => readonly Poller[];
  readonly #access: AccessPolicy;
  readonly #log: Logger;
  readonly #history: HistorySource | undefined;

  constructor(o: SensorDataServiceOptions) {
    this.#pollers = o.pollers;
    this.#access = o.access;
    this.#log = o.log;
    this.#history = o.history;
  }

  get activeSessions(): number {
    return this.#sessions.size;
  }

  /**
   * Runs `request` for `from` now and returns every selected node's outcome (see runReadout):
   * the readout an IQ <req> gets, for callers that are not an IQ (chat, ad-hoc commands, event
   * subscriptions). The same access rules apply (owner, provisioning, readers; a provisioning
   * answer may narrow the request). `when` is not honoured here.
   * Throws ProtocolError: forbidden, or item-not-found for a node we do not have.
   */
  async readout(from: string, request: ReadoutRequest): Promise<NodeOutcome[]> {
    const allowed = restrictRead(request, await this.#access.authorizeRead(from, request));
    if (!allowed) throw new ProtocolError("forbidden", "Access denied.");
    return runReadout(allowed, { pollers: this.#pollers(), history: this.#history });
  }

  /** <req> in any dialect; route it for each sensor-data namespace. */
  readonly handleRequest: IqHandler = ({ stanza, child, from }) => {
    const dialect = dialectFor(child.getNS());
    const { id, request } = dialect.parse(child);
    const asked: Asked = { dialect, stanza, from, id, request };
    // Synchronous without a provisioning server (the readout latency path), else a promise.
    const decision = this.#access.authorizeRead(from, request);
    if (decision instanceof Promise) return decision.then((d) => this.#serve(asked, d));
    return this.#serve(asked, decision);
  };

  #serve({ dialect, stanza, from, id, request: asked }: Asked, decision: ReadDecision): IqOutcome {
    const request = restrictRead(asked, decision);
    if (!request) throw new ProtocolError("forbidden", "Access denied.");
    const nodes = selectNodes(request, this.#pollers());
    const key = sessionKey(dialect, from, id);
    this.#drop(key); // a new request with the same (JID, id) replaces a stale one (§6.5)

    const at = request.when?.getTime();
    const delay = at !== undefined ? at - Date.now() : 0;
    if (delay > MAX_DEFER_MS) throw new ProtocolError("bad-request", "req@when is more than 7 days ahead.");
    if (delay <= 0) {
      const cached = cachedOutcomes(request, nodes);
      if (cached) return { send: dialect.immediate(stanza, from, id, splitOutcomes(withHistory(request, nodes, cached, this.#history))) };
    }

    const session = new AbortController();
    this.#sessions.set(key, session);
    const job: Job = { dialect, from, id, request, nodes, key, session, ...(delay > 0 ? { at } : {}) };
    if (delay > 0) this.#log.debug({ from, id, dialect: dialect.name, delayMs: delay }, "readout queued");
    return { send: [buildIqResult(stanza, dialect.accepted(id, delay > 0))], followUp: this.#follow(job) };
  }

  /** <cancel> in any dialect: seqnr → <cancelled>, IEEE → empty result; unknown → item-not-found. */
  readonly handleCancel: IqHandler = ({ child, from }) => {
    const dialect = dialectFor(child.getNS());
    const id = dialect.parseCancel(child);
    if (!this.#drop(sessionKey(dialect, from, id))) throw new ProtocolError("item-not-found", "No active readout with this id.");
    return dialect.cancelled(id);
  };

  /** Cancel every pending readout (shutdown). Queued requests are lost, which §1.4 allows. */
  cancelAll(): void {
    for (const key of [...this.#sessions.keys()]) this.#drop(key);
  }

  /**
   * What follows <accepted>: for a deferred readout <started> at its time, then the data once
   * read; nothing more once the session is cancelled.
   */
  async *#follow({ dialect, from, id, request, nodes, at, key, session }: Job): FollowUp {
    try {
      if (at !== undefined) {
        await setTimeout(Math.max(0, at - Date.now()), undefined, { signal: session.signal });
        yield [dialect.started(from, id)];
      }
      const outcomes = withHistory(request, nodes, await readOutcomes(request, nodes), this.#history);
      if (session.signal.aborted) return;
      const sent = yield dialect.messages(from, id, splitOutcomes(outcomes));
      if (!sent) this.#log.warn({ from, id, dialect: dialect.name }, "readout finished while offline; result dropped");
    } catch (err) {
      // Aborted while waiting for `when`: cancelled, nothing to tell.
      if (!session.signal.aborted) this.#log.error({ err, from, id, dialect: dialect.name }, "readout failed");
    } finally {
      if (this.#sessions.get(key) === session) this.#sessions.delete(key);
    }
  }

  #drop(key: string): boolean {
    const session = this.#sessions.get(key);
    if (!session) return false;
    session.abort();
    this.#sessions.delete(key);
    return true;
  }
}

/** Sessions are per dialect namespace: a seqnr and an IEEE id never collide. */
function sessionKey(dialect: Dialect, from: string, id: string): string {
  return `${dialect.ns}\u0000${from}\u0000${id}`;
}
