// Sensor-data request handling for both dialects (protocol.md §1.2–§1.8, §5, §6): access,
// node checks, immediate and deferred readouts, cancel. One readout core (readout.ts), two
// serialisers (sensordata-dialects.ts) chosen by the request's namespace. The fast path (every
// value cached) answers in one socket write: IQ result + <fields> message in the seqnr
// dialect, an IQ result carrying <resp> in the IEEE dialect.
import type { Logger } from "pino";
import type { Element } from "@xmpp/xml";
import { ProtocolError } from "../errors.js";
import { restrictRead, type AccessPolicy, type ReadDecision } from "../access/policy.js";
import type { Poller } from "../sensors/poller.js";
import { cachedOutcomes, readOutcomes, selectNodes, splitOutcomes, type NodeOutcome } from "./readout.js";
import { dialectFor, type Dialect, type DialectRequest } from "./dialects.js";
import { buildIqResult } from "../protocol/stanza-error.js";
import { historicalOutcomes, mergeOutcomes, type HistorySource } from "./readout.js";
import type { IqHandler, IqOutcome, IqRequest } from "../transport/iq-router.js";

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

  /** <req> in any dialect; route it for each sensor-data namespace. */
  readonly handleRequest: IqHandler = ({ stanza, child, from }) => {
    const dialect = dialectFor(child.getNS());
    const readable = dialect.readableId(child);
    let parsed: DialectRequest;
    try {
      parsed = dialect.parse(child);
    } catch (err) {
      if (err instanceof ProtocolError) return dialect.reject(stanza, err, readable);
      throw err;
    }
    // Synchronous without a provisioning server (the readout latency path), else a promise.
    const decision = this.access.authorizeRead(from, parsed.request);
    if (decision instanceof Promise) return decision.then((d) => this.#serve(dialect, stanza, from, parsed, d, readable));
    return this.#serve(dialect, stanza, from, parsed, decision, readable);
  };

  #serve(dialect: Dialect, stanza: Element, from: string, asked: DialectRequest, decision: ReadDecision, readable: string | undefined): IqOutcome {
    let parsed: DialectRequest;
    let nodes: Poller[];
    try {
      const allowed = restrictRead(asked.request, decision);
      if (!allowed) throw new ProtocolError("forbidden", "Access denied.");
      parsed = { id: asked.id, request: allowed };
      nodes = selectNodes(parsed.request, this.pollers());
    } catch (err) {
      if (err instanceof ProtocolError) return dialect.reject(stanza, err, readable);
      throw err;
    }
    const { id, request: req } = parsed;
    const key = sessionKey(dialect, from, id);
    this.#drop(key); // a new request with the same (JID, id) replaces a stale one (§6.5)

    const delay = req.when ? req.when.getTime() - Date.now() : 0;
    if (delay > MAX_DEFER_MS) {
      return dialect.reject(stanza, new ProtocolError("bad-request", "req@when is more than 7 days ahead."), id);
    }
    if (delay > 0) return this.#defer(dialect, stanza, from, parsed, nodes, key, delay);

    const cached = cachedOutcomes(req, nodes);
    if (cached) return { send: dialect.immediate(stanza, from, id, splitOutcomes(this.#withHistory(req, nodes, cached))) };

    const session: Session = { cancelled: false };
    this.#sessions.set(key, session);
    return { send: [buildIqResult(stanza, dialect.accepted(id))], after: () => void this.#run(dialect, from, parsed, nodes, key, session).catch((err: unknown) => this.log.error({ err, from, id }, "readout failed")) };
  }

  /** <cancel> in any dialect: seqnr → <cancelled>, IEEE → empty result; unknown → item-not-found. */
  readonly handleCancel: IqHandler = ({ stanza, child, from }: IqRequest): IqOutcome => {
    const dialect = dialectFor(child.getNS());
    const readable = dialect.readableId(child);
    let id: string;
    try {
      id = dialect.parseCancel(child);
    } catch (err) {
      if (err instanceof ProtocolError) return dialect.reject(stanza, err, readable);
      throw err;
    }
    if (!this.#drop(sessionKey(dialect, from, id))) {
      return dialect.reject(stanza, new ProtocolError("item-not-found", "No active readout with this id."), id);
    }
    return dialect.cancelled(stanza, id);
  };

  /** Cancel every pending readout (shutdown). Queued requests are lost, which §1.4 allows. */
  cancelAll(): void {
    for (const key of [...this.#sessions.keys()]) this.#drop(key);
  }

  #defer(dialect: Dialect, stanza: Element, from: string, parsed: DialectRequest, nodes: Poller[], key: string, delay: number): IqOutcome {
    const session: Session = { cancelled: false };
    this.#sessions.set(key, session);
    session.timer = setTimeout(() => {
      if (session.cancelled) return;
      void this.send([dialect.started(from, parsed.id)]).then(() => this.#run(dialect, from, parsed, nodes, key, session)).catch((err: unknown) => this.log.error({ err, from, id: parsed.id }, "queued readout failed"));
    }, delay);
    this.log.debug({ from, id: parsed.id, dialect: dialect.name, delayMs: delay }, "readout queued");
    return { send: [buildIqResult(stanza, dialect.accepted(parsed.id, true))] };
  }

  async #run(dialect: Dialect, from: string, { id, request }: DialectRequest, nodes: Poller[], key: string, session: Session): Promise<void> {
    try {
      const outcomes = this.#withHistory(request, nodes, await readOutcomes(request, nodes));
      if (session.cancelled) return;
      const sent = await this.send(this.#messages(dialect, from, id, outcomes));
      if (!sent) this.log.warn({ from, id, dialect: dialect.name }, "readout finished while offline; result dropped");
    } catch (err) {
      this.log.error({ err, from, id, dialect: dialect.name }, "readout failed");
    } finally {
      if (this.#sessions.get(key) === session) this.#sessions.delete(key);
    }
  }

  #withHistory(req: DialectRequest["request"], nodes: Poller[], live: NodeOutcome[]): NodeOutcome[] {
    return mergeOutcomes(live, historicalOutcomes(req, nodes, this.history));
  }

  #messages(dialect: Dialect, to: string, id: string, outcomes: NodeOutcome[]): Element[] {
    return dialect.messages(to, id, splitOutcomes(outcomes));
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

/** Sessions are per dialect namespace: a seqnr and an IEEE id never collide. */
function sessionKey(dialect: Dialect, from: string, id: string): string {
  return `${dialect.ns}\u0000${from}\u0000${id}`;
}
