// Keeps one XMPP session alive: connect (a failed first connect included), reconnect with
// backoff + jitter after any loss, keepalive pings, clean stop. Each attempt uses a fresh
// entity, so no listener accumulates across reconnects (prior-art.md §E "Memory").
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { createConnection, type ConnectionOptions, type XmppConnection } from "./connection.js";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.js";
import { buildPing } from "../protocol/service-info.js";
import { serviceAddress, waitForComeback, type ComebackOptions } from "./comeback.js";
import { Endpoints } from "./endpoints.js";

export type SessionState = "offline" | "connecting" | "online" | "stopped";

export interface SupervisorOptions {
  connection: ConnectionOptions;
  log: Logger;
  backoff?: BackoffPolicy;
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
}

export class Supervisor extends EventEmitter {
  state: SessionState = "offline";
  current: XmppConnection | undefined;
  connectedSince: Date | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  readonly #log: Logger;
  readonly #endpoints: Endpoints;
  /** The endpoint of the current (or last) attempt. */
  #service: string;

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
        await conn.entity.stop();
      } catch (err) {
        this.#log.warn({ err }, "error while closing the XMPP stream");
      }
    }
    destroy(conn);
    await this.#loop;
    this.#setState("stopped");
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#stopping) {
      this.#service = await this.#endpoints.current();
      const conn = createConnection({ ...this.options.connection, service: this.#service });
      this.options.install(conn);
      const closed = whenClosed(conn);
      conn.entity.on("error", (err: Error) => this.#log.debug({ err }, "xmpp error event"));
      this.#setState("connecting");
      try {
        await withTimeout(conn.entity.start(), this.options.connectTimeoutMs ?? 30_000, "connect timed out");
        if (this.#stopping) {
          destroy(conn);
          break;
        }
        attempt = 0;
        this.#endpoints.succeeded();
        this.current = conn;
        this.connectedSince = new Date();
        this.#setState("online");
        this.#log.info({ jid: conn.entity.jid?.toString(), service: this.#service }, "online");
        const keepalive = this.#keepalive(conn);
        this.options.online(conn).catch((err) => this.#log.error({ err }, "session setup failed"));
        const reason = await closed;
        clearInterval(keepalive);
        if (this.#stopping) break;
        this.#log.warn({ reason: describe(reason) }, "XMPP connection lost");
      } catch (err) {
        if (this.#stopping) break;
        this.#log.warn({ err: cleanError(err), service: this.#service }, "XMPP connect failed");
      } finally {
        if (this.current === conn && !this.#stopping) this.current = undefined;
        if (!this.#stopping) destroy(conn);
      }
      if (this.#stopping) break;
      this.#setState("offline");
      // Another endpoint not yet tried since the last session: go there at once (a short random
      // pause spreads a fleet leaving a dead node); only a whole failed round backs off.
      const wholeRound = this.#endpoints.failed();
      const delay = wholeRound ? backoffDelay(attempt++, this.options.backoff ?? DEFAULT_BACKOFF) : Math.round(Math.random() * 250);
      this.#log.info({ delayMs: delay, attempt }, "reconnecting");
      await this.#pause(delay);
    }
  }

  /** Sleep out the backoff, cut short by stop() or by the server coming back (./comeback.ts). */
  async #pause(delay: number): Promise<void> {
    const abort = new AbortController();
    const address = this.options.comeback === false ? undefined : serviceAddress(this.#service);
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
        destroy(conn);
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
}

function whenClosed(conn: XmppConnection): Promise<unknown> {
  return new Promise((resolve) => {
    conn.entity.on("disconnect", (info: unknown) => resolve(info));
  });
}

/** Tear a connection down at once and make sure it emits no unhandled 'error'. */
function destroy(conn: XmppConnection | undefined): void {
  if (!conn) return;
  const { entity } = conn;
  entity.on("error", () => {});
  const raw = entity.socket?.socket ?? entity.socket;
  try {
    raw?.destroy?.();
  } catch {
    /* already gone */
  }
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

function describe(reason: unknown): string {
  if (reason && typeof reason === "object" && "reason" in reason) {
    const r = (reason as { reason?: unknown }).reason;
    return r instanceof Error ? r.message : String(r ?? "closed");
  }
  return "closed";
}

/** SASL/stream errors carry the whole element; keep logs short. */
function cleanError(err: unknown): { name: string; message: string; condition?: string } {
  if (err instanceof Error) {
    const condition = (err as { condition?: string }).condition;
    return { name: err.name, message: err.message || condition || "error", ...(condition ? { condition } : {}) };
  }
  return { name: "Error", message: String(err) };
}
