// One XEP-0198 session: it starts with <enabled/> on one connection and may be resumed on later
// ones, so it outlives each connection. It counts what came in, numbers and keeps what went out
// until the server acknowledges it, asks for acknowledgements a moment after sending, and, when
// it cannot be resumed, says which of its unacknowledged stanzas are still worth sending on the
// next session (docs/reconnect.md "Stream management").
import type { Logger } from "pino";
import type { Element } from "@xmpp/xml";
import { buildAckRequest, type Enabled } from "../protocol/stream-management.js";
import { InboundCounter, OutboundQueue } from "./sm-state.js";

/** How the session reaches the wire: one connection's raw write (stanzas and nonzas). */
export interface SmLink {
  write(elements: Element[]): Promise<void>;
}

/** Unacknowledged replies older than this are not sent again on a new session (nobody waits any more). */
export const REPLAY_MAX_AGE_MS = 60_000;
/** A burst of stanzas (a readout's reply and data) is followed by one <r/> this long after its first. */
export const ACK_REQUEST_DELAY_MS = 200;

export interface SmSessionOptions {
  enabled: Enabled;
  /** The full JID bound when the session began (a resumed stream has no bind). */
  jid: string;
  /** The endpoint it began on. */
  service: string;
  log: Logger;
  queueLimit?: number;
  ackRequestDelayMs?: number;
  now?: () => number;
}

export class SmSession {
  readonly inbound = new InboundCounter();
  readonly outbound: OutboundQueue<Element>;
  readonly jid: string;
  readonly service: string;
  readonly #enabled: Enabled;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #ackDelay: number;
  #link: SmLink | undefined;
  #lostAt: number | undefined;
  #ended = false;
  #ackTimer: NodeJS.Timeout | undefined;
  #droppedLogged = 0;

  constructor(o: SmSessionOptions) {
    this.#enabled = o.enabled;
    this.jid = o.jid;
    this.service = o.service;
    this.#log = o.log;
    this.#now = o.now ?? Date.now;
    this.#ackDelay = o.ackRequestDelayMs ?? ACK_REQUEST_DELAY_MS;
    this.outbound = new OutboundQueue<Element>(o.queueLimit ?? 500);
  }

  get id(): string | undefined {
    return this.#enabled.id;
  }

  get location(): string | undefined {
    return this.#enabled.location;
  }

  /** The server's resumption window in ms, if it said. */
  get maxMs(): number | undefined {
    return this.#enabled.maxSeconds === undefined ? undefined : this.#enabled.maxSeconds * 1000;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** When the connection carrying it was lost (undefined while attached). */
  get lostAt(): number | undefined {
    return this.#lostAt;
  }

  /** Is `link` the connection carrying the session now? */
  carriedBy(link: SmLink): boolean {
    return this.#link === link;
  }

  /** A connection carries the session from now on (after <enable/> was sent, or after <resumed/>). */
  attach(link: SmLink): void {
    this.#link = link;
    this.#lostAt = undefined;
  }

  /** `link` is gone; stanzas sent meanwhile wait in the queue. No-op if another link carries the session. */
  detach(link: SmLink): void {
    if (this.#link !== link) return;
    this.#link = undefined;
    this.#lostAt = this.#now();
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
  }

  /** Why resumption is not possible now, or undefined when it is. */
  whyNotResumable(): string | undefined {
    if (this.#ended) return "the session has ended";
    if (!this.#enabled.resume || !this.#enabled.id) return "the server did not offer resumption";
    if (this.#link) return "the session is still attached";
    const max = this.maxMs;
    if (max !== undefined && this.#lostAt !== undefined && this.#now() - this.#lostAt >= max) return "the resumption window has passed";
    return undefined;
  }

  /**
   * Number, queue and (when attached) write stanzas. A failed write is not an error for the
   * caller: the stanza stays queued and goes out on resumption or by the replay rule.
   */
  async send(stanzas: Element[]): Promise<void> {
    const at = this.#now();
    for (const s of stanzas) this.outbound.push(s, at);
    this.#noteDropped();
    const link = this.#link;
    if (!link) return;
    try {
      await link.write(stanzas);
    } catch (err) {
      this.#log.debug({ err }, "write failed; the stanzas stay queued for resumption");
      return;
    }
    this.#requestAckSoon();
  }

  /** The server's <a h/>. */
  acknowledged(h: number): void {
    const r = this.outbound.ack(h);
    if (!r.ok) this.#log.warn({ h, outstanding: r.outstanding }, "the server acknowledged more stanzas than were sent; ignored");
  }

  /**
   * <resumed h/> arrived on `link`: drop what the server has, carry on over `link`, and write
   * the rest again in one go (their numbers stay: the server counts on from `h`).
   */
  async resume(link: SmLink, h: number): Promise<number> {
    this.acknowledged(h);
    this.attach(link);
    const again = this.outbound.unacked().map((q) => q.stanza);
    if (again.length > 0) {
      await link.write(again);
      this.#requestAckSoon();
    }
    return again.length;
  }

  /** The session will not be resumed (a conflict, a refused resumption, the window passed, stop). */
  end(): void {
    this.#ended = true;
    this.#link = undefined;
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
  }

  /**
   * For the next session: the unacknowledged stanzas still worth sending (see `isReplayable`,
   * younger than `maxAgeMs`), oldest first; the others are logged at debug and dropped. Empties the queue.
   */
  takeReplay(maxAgeMs = REPLAY_MAX_AGE_MS): Element[] {
    const now = this.#now();
    const keep: Element[] = [];
    for (const q of this.outbound.drain()) {
      const age = now - q.at;
      if (isReplayable(q.stanza) && age <= maxAgeMs) keep.push(q.stanza);
      else this.#log.debug({ stanza: summary(q.stanza), ageMs: age }, "unacknowledged stanza from the lost session dropped");
    }
    return keep;
  }

  #requestAckSoon(): void {
    if (this.#ackTimer || !this.#link) return;
    const link = this.#link;
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = undefined;
      if (this.#link !== link || this.outbound.outstanding === 0) return;
      link.write([buildAckRequest()]).catch((err: unknown) => this.#log.debug({ err }, "ack request not written"));
    }, this.#ackDelay);
    this.#ackTimer.unref();
  }

  #noteDropped(): void {
    if (this.outbound.dropped === this.#droppedLogged) return;
    this.#droppedLogged = this.outbound.dropped;
    this.#log.warn({ dropped: this.outbound.dropped }, "stream management queue full: the oldest unacknowledged stanzas will not be resent");
  }
}

/**
 * Worth sending on a new session when the old one is gone: answers to someone (IQ result or
 * error: a readout's reply) and messages (a readout's data, events), and subscription answers.
 * Not: IQ requests (whoever awaited their answer belonged to the dead connection) and
 * available/unavailable presence (the new session sends its own).
 */
export function isReplayable(stanza: Element): boolean {
  if (stanza.name === "message") return true;
  if (stanza.name === "iq") return stanza.attrs.type === "result" || stanza.attrs.type === "error";
  if (stanza.name === "presence") return ["subscribe", "subscribed", "unsubscribe", "unsubscribed"].includes(String(stanza.attrs.type));
  return false;
}

/**
 * The service to resume on when the server named a `location` (XEP-0198 §5: host or IP,
 * optionally with a port): same scheme as `service`, its port if the location has none.
 */
export function locationService(service: string, location: string): string {
  const m = /^(xmpps?):\/\/(?:\[[^\]]*\]|[^:/]*)(?::(\d+))?/.exec(service);
  const scheme = m?.[1] ?? "xmpp";
  const port = m?.[2] ?? (scheme === "xmpps" ? "5223" : "5222");
  const hasPort = /^\[[^\]]+\]:\d+$/.test(location) || /^[^:[\]]+:\d+$/.test(location);
  if (hasPort) return `${scheme}://${location}`;
  const host = location.includes(":") && !location.startsWith("[") ? `[${location}]` : location;
  return `${scheme}://${host}:${port}`;
}

function summary(stanza: Element): string {
  return `${stanza.name}${stanza.attrs.type ? ` type=${String(stanza.attrs.type)}` : ""}${stanza.attrs.id ? ` id=${String(stanza.attrs.id)}` : ""}${stanza.attrs.to ? ` to=${String(stanza.attrs.to)}` : ""}`;
}
