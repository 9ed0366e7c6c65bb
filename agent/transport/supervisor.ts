// Keeps one XMPP session alive: connect (a failed first connect included), reconnect with
// backoff + jitter after any loss, keepalive pings, clean stop. Each attempt uses a fresh
// entity, released entirely when it ends (docs/reconnect.md; docs/pitfalls.md "xmpp.js: listeners
// and memory"). The back-off depends on why the last attempt ended (./failure.ts): another
// session taking our resource (<conflict/>) is not an outage and waits long; a refused password
// goes to the cap quickly; the rest is the ordinary back-off, cut short when a crashed server
// comes back (./comeback.ts).
// With XEP-0198 stream management (./stream-management.ts), a session lost to the network is
// resumed on the next attempt when the server still holds it: the stanzas it had not
// acknowledged go out again and the "resumed" handler runs instead of "online"
// (docs/reconnect.md "Stream management").
import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { createConnection, type ConnectionOptions, type XmppConnection } from "./connection.js";
import { backoffDelay, DEFAULT_BACKOFF, DEFAULT_CONFLICT_BACKOFF, type BackoffPolicy } from "./backoff.js";
import { authDetail, cleanError, conflictDetail, describeClose, failureKind, PROBLEM_SUMMARY, reasonError, type FailureKind, type XmppProblem } from "./failure.js";
import { buildPing } from "../protocol/service-info.js";
import { serviceAddress, waitForComeback, type ComebackOptions } from "./comeback.js";
import { Endpoints } from "./endpoints.js";
import { CarriedSession } from "./carried-session.js";

export type SessionState = "offline" | "connecting" | "online" | "stopped";

export interface SupervisorOptions {
  connection: ConnectionOptions;
  log: Logger;
  backoff?: BackoffPolicy;
  /** Back-off after another session took our resource (default 30 s → 15 min). */
  conflictBackoff?: BackoffPolicy;
  /** Interval of our own XEP-0199 ping to the server; a missed pong drops the session. */
  keepaliveMs: number;
  /** Probing for a crashed server's return during the backoff; false turns it off. */
  comeback?: ComebackOptions | false;
  /** Whole-attempt limit (TCP, TLS, SASL, bind). */
  connectTimeoutMs?: number;
  /** Where to connect; default: `connection.service` alone. */
  endpoints?: Endpoints;
  /** Install stanza handlers on a new connection (called before it connects). */
  install(conn: XmppConnection): void;
  /** Run on every new session: roster, presence, registration. Errors are logged. */
  online(conn: XmppConnection): Promise<void>;
  /** Run instead of `online` when a lost session was resumed (XEP-0198): presence, roster and subscriptions are still in place. */
  resumed?(conn: XmppConnection): Promise<void>;
  /** XEP-0198 stream management with resumption (default true; `xmpp.stream_management`). */
  streamManagement?: boolean;
}

/** Events: "state" (SessionState), "problem" (XmppProblem | undefined). */
export class Supervisor extends EventEmitter {
  state: SessionState = "offline";
  current: XmppConnection | undefined;
  connectedSince: Date | undefined;
  /** Why the session is down, while it is (cleared once online). */
  problem: XmppProblem | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  readonly #log: Logger;
  readonly #endpoints: Endpoints;
  /** The endpoint of the current (or last) attempt. */
  #service: string;
  /** The XEP-0198 session of the last connection while none carries it. */
  readonly #carried = new CarriedSession();

  constructor(private readonly options: SupervisorOptions) {
    super();
    this.#log = options.log;
    this.#endpoints = options.endpoints ?? new Endpoints([options.connection.service], () => Promise.resolve([options.connection.service]));
    this.#service = options.connection.service;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Send on the current session; false when offline (the caller decides what that means). */
  async send(...elements: Element[]): Promise<boolean> {
    const conn = this.current;
    // Between a lost connection and its resumption the session still exists: queue for it.
    const waiting = this.#carried.waiting;
    if ((!conn || this.state !== "online") && waiting) {
      await waiting.send(elements);
      return true;
    }
    if (!conn || this.state !== "online") return false;
    if (elements.length === 1) await conn.entity.send(elements[0]!);
    else await conn.entity.sendMany(elements);
    return true;
  }

  async request(stanza: Element, timeoutMs = 15_000): Promise<Element> {
    const conn = this.current;
    if (!conn || this.state !== "online") throw new Error("XMPP session is offline");
    return conn.iqCaller.request(stanza, timeoutMs);
  }

  /** Unavailable presence, close the stream, stop reconnecting. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    const conn = this.current;
    if (conn && this.state === "online") {
      try {
        await conn.entity.send(xml("presence", { type: "unavailable" }));
        await conn.session.finish();
        await conn.entity.stop();
      } catch (err) {
        this.#log.warn({ err }, "error while closing the XMPP stream");
      }
    }
    conn?.release();
    this.#carried.discard();
    await this.#loop;
    this.#setState("stopped");
  }

  async #run(): Promise<void> {
    // Consecutive failures of each kind. Network and auth streaks end when a session opens; a
    // conflict streak only when a session outlives the conflict back-off's cap (two boards with
    // one identity each get online between kicks, and must still back off further each time).
    const attempts: Record<FailureKind, number> = { network: 0, auth: 0, conflict: 0 };
    while (!this.#stopping) {
      const { previous, resumeAt } = this.#carried.take();
      this.#service = resumeAt ?? (await this.#endpoints.current());
      const sm = this.options.streamManagement !== false;
      const conn = createConnection({
        ...this.options.connection,
        service: this.#service,
        log: this.#log,
        ...(sm && { streamManagement: { previous, log: this.#log } }),
      });
      this.options.install(conn);
      const closed = whenClosed(conn);
      let streamError: Error | undefined;
      conn.entity.on("error", (err: Error) => {
        if (err.name === "StreamError") streamError ??= err;
        this.#log.debug({ err: cleanError(err) }, "xmpp error event");
      });
      this.#setState("connecting");
      let kind: FailureKind;
      let cause: unknown;
      let wasOnline = false;
      try {
        await withTimeout(conn.entity.start(), this.options.connectTimeoutMs ?? 30_000, "connect timed out");
        if (this.#stopping) break;
        attempts.network = attempts.auth = 0;
        this.#endpoints.succeeded();
        this.current = conn;
        this.#carried.connected();
        wasOnline = true;
        const since = (this.connectedSince = new Date());
        this.#setState("online");
        this.#setProblem(undefined);
        const setup = conn.session;
        if (setup.resumed) {
          const lostMs = previous?.lostAt === undefined ? undefined : Date.now() - previous.lostAt;
          this.#log.info({ jid: conn.entity.jid?.toString(), service: this.#service, resent: setup.resent, lostMs }, "stream resumed");
        } else {
          this.#log.info({ jid: conn.entity.jid?.toString(), service: this.#service, streamManagement: setup.session !== undefined }, "online");
        }
        const keepalive = this.#keepalive(conn);
        const hook = setup.resumed ? (this.options.resumed ?? (() => Promise.resolve())) : this.options.online;
        hook(conn).catch(async (err: unknown) => {
          // A session that ended during its setup is reported as the lost connection it is (a
          // failed write can come a moment before the socket's close).
          await sleep(50);
          if (this.current === conn && conn.entity.status === "online") this.#log.error({ err }, "session setup failed");
          else this.#log.debug({ err: cleanError(err) }, "session setup cut short: the connection ended");
        });
        const reason = await closed;
        clearInterval(keepalive);
        if (this.#stopping) break;
        if (Date.now() - since.getTime() >= this.#conflictPolicy.capMs) attempts.conflict = 0;
        cause = streamError ?? reasonError(reason);
        kind = failureKind(cause);
        if (kind !== "conflict") this.#log.warn({ reason: describeClose(reason), err: cleanError(cause) }, "XMPP connection lost");
      } catch (err) {
        if (this.#stopping) break;
        cause = streamError ?? err;
        kind = failureKind(cause);
        if (kind === "network") this.#log.warn({ err: cleanError(cause), service: this.#service }, "XMPP connect failed");
      } finally {
        if (this.current === conn) this.current = undefined;
        conn.release();
        conn.session.detach();
        if (!this.#stopping) this.#carried.ended(conn.session.session ?? previous);
      }
      if (this.#stopping) break;
      // After a conflict (another login holds the session) or a refused login, nothing is resumed.
      if (kind !== "network") this.#carried.discard();
      const resumeNext = kind === "network" && wasOnline && this.#carried.resumeAfter(this.#service);
      // A lost or failed endpoint hands over to the next one not yet tried since the last session
      // at once (a short random pause spreads a fleet leaving a dead node); only a whole failed
      // round backs off. A conflict or a refused login is not the endpoint's fault: same one again.
      // A resumable session is resumed where it lived (or at its `location`), after the same short pause.
      const nextEndpoint = resumeNext || (kind === "network" && !this.#endpoints.failed());
      const delay = nextEndpoint ? Math.round(Math.random() * 250) : this.#delay(kind, attempts[kind]++);
      this.#report(kind, cause, delay, attempts[kind]);
      this.#setState("offline");
      await this.#pause(delay, kind === "network" && !nextEndpoint);
    }
  }

  get #conflictPolicy(): BackoffPolicy {
    return this.options.conflictBackoff ?? DEFAULT_CONFLICT_BACKOFF;
  }

  #delay(kind: FailureKind, attempt: number): number {
    const policy = this.options.backoff ?? DEFAULT_BACKOFF;
    switch (kind) {
      case "network":
        return backoffDelay(attempt, policy);
      case "auth":
        // A wrong password does not fix itself: 1 s, then ~16 s, then the cap.
        return backoffDelay(attempt * 4, policy);
      case "conflict":
        return backoffDelay(attempt, this.#conflictPolicy);
    }
  }

  /** One log line per failed attempt, and the problem `thingd status` and STATUS= show. */
  #report(kind: FailureKind, cause: unknown, delay: number, attempt: number): void {
    const { jid, resource } = this.options.connection;
    const retryAt = new Date(Date.now() + delay);
    const since = this.problem?.kind === kind ? this.problem.since : new Date();
    switch (kind) {
      case "conflict": {
        const detail = conflictDetail(`${jid}/${resource}`);
        this.#log.error({ err: cleanError(cause), retryInMs: delay, attempt }, detail);
        this.#setProblem({ kind, summary: PROBLEM_SUMMARY.conflict, detail, since, retryAt });
        return;
      }
      case "auth": {
        const detail = authDetail(jid);
        this.#log.error({ err: cleanError(cause), retryInMs: delay, attempt }, detail);
        this.#setProblem({ kind, summary: PROBLEM_SUMMARY.auth, detail, since, retryAt });
        return;
      }
      case "network":
        this.#log.info({ delayMs: delay, attempt }, "reconnecting");
        this.#setProblem({ kind, summary: PROBLEM_SUMMARY.network, detail: cleanError(cause).message, since, retryAt });
        return;
    }
  }

  /** Sleep out the backoff, cut short by stop() or (`probe`) by the server coming back (./comeback.ts). */
  async #pause(delay: number, probe: boolean): Promise<void> {
    const abort = new AbortController();
    const address = this.options.comeback === false || !probe ? undefined : serviceAddress(this.#service);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, delay);
      this.#wake = () => {
        clearTimeout(t);
        resolve();
      };
      if (!address) return;
      void waitForComeback(address, abort.signal, this.options.comeback || {}).then((back) => {
        if (!back) return;
        this.#log.info({ service: this.#service }, "server accepts connections again");
        this.#wake?.();
      }, () => undefined); // it only probes and sleeps: nothing to reject, but never unhandled
    });
    abort.abort();
    this.#wake = undefined;
  }

  #keepalive(conn: XmppConnection): NodeJS.Timeout {
    const timer = setInterval(() => {
      const ping = xml("iq", { type: "get", to: this.options.connection.domain }, buildPing());
      conn.iqCaller.request(ping, Math.min(this.options.keepaliveMs, 20_000)).catch((err: unknown) => {
        if (this.current !== conn || this.#stopping) return;
        this.#log.warn({ err: cleanError(err) }, "keepalive ping to the server failed; reconnecting");
        conn.release();
      });
    }, this.options.keepaliveMs);
    timer.unref();
    return timer;
  }

  #setState(state: SessionState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit("state", state);
  }

  #setProblem(problem: XmppProblem | undefined): void {
    if (problem === undefined && this.problem === undefined) return;
    this.problem = problem;
    this.emit("problem", problem);
  }
}

function whenClosed(conn: XmppConnection): Promise<unknown> {
  return new Promise((resolve) => {
    conn.entity.on("disconnect", (info: unknown) => resolve(info));
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(message)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
