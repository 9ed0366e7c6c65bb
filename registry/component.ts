// The registry's XEP-0114 link to its XMPP server (jabber:component:accept, SHA-1 handshake
// via @xmpp/component-core), kept up by its own loop: on any drop or failed start it connects
// again with jittered backoff (1 s doubling to 30 s). Incoming stanzas go to `onStanza`;
// replies to our own IQ pushes are matched here by id, and their `onReply` runs in the very
// tick the reply is parsed (before any stanza behind it in the same read).
import { setTimeout as sleep } from "node:timers/promises";
import { Component } from "@xmpp/component-core";
import { xml, type Element } from "@xmpp/xml";
import type { Logger } from "pino";
import { backoffDelay } from "../agent/transport/backoff.js";
import { bareJid } from "./jid.js";

export interface ComponentOptions {
  service: string;
  domain: string;
  secret: string;
  log: Logger;
  onStanza(stanza: Element): void;
  /** Every time the handshake succeeds. */
  onOnline?(): void;
  /** How long a push waits for the Thing's reply (default 15 s). */
  pushTimeoutMs?: number;
}

interface Pending {
  to: string;
  resolve(el: Element): void;
  reject(err: Error): void;
  onReply: ((el: Element) => void) | undefined;
  timer: NodeJS.Timeout;
}

export class ComponentLink {
  readonly #o: ComponentOptions;
  readonly #entity: Component;
  readonly #pending = new Map<string, Pending>();
  readonly #stop = new AbortController();
  #nextId = 0;
  #loop: Promise<void> | undefined;
  #dropped: (() => void) | undefined;

  constructor(o: ComponentOptions) {
    this.#o = o;
    this.#entity = new Component({ service: o.service, domain: o.domain });
    this.#entity.on("open", (el: Element) => {
      this.#entity.authenticate(el.attrs.id ?? "", o.secret).catch((err: unknown) => this.#entity.emit("error", err));
    });
    this.#entity.on("error", (err: Error & { condition?: string; code?: string }) => {
      if (this.#stop.signal.aborted) return;
      if (err.condition === "not-authorized")
        o.log.error(
          { service: o.service, domain: o.domain },
          "the server refused the component handshake: check component.secret and the server's component configuration",
        );
      else o.log.warn({ err: { message: err.message, condition: err.condition, code: err.code } }, "component connection error");
    });
    this.#entity.on("disconnect", () => this.#dropped?.());
    this.#entity.on("stanza", (stanza: Element) => this.#onStanza(stanza));
  }

  get online(): boolean {
    return this.#entity.status === "online";
  }

  /** Starts the connect loop; resolves once (and if) the first handshake succeeded or failed. */
  start(): Promise<void> {
    let first: (() => void) | undefined;
    const firstTry = new Promise<void>((resolve) => (first = resolve));
    this.#loop = this.#run(() => first?.());
    return firstTry;
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#dropped?.();
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new Error("registry stopping"));
      this.#pending.delete(id);
    }
    if (this.online) await this.#entity.send(xml("presence", { type: "unavailable", from: this.#o.domain })).catch(() => undefined);
    await this.#entity.stop().catch(() => undefined);
    await this.#loop;
  }

  send(stanza: Element): Promise<void> {
    if (!this.online) return Promise.reject(new Error("component offline"));
    return this.#entity.send(stanza);
  }

  /** IQ set `payload` to `to`; resolves with the reply (result or error); rejects on timeout or when offline. */
  push(to: string, payload: Element, onReply?: (reply: Element) => void): Promise<Element> {
    const id = `reg${(++this.#nextId).toString(36)}`;
    return new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`no reply from ${to} within ${this.#o.pushTimeoutMs ?? 15_000} ms`));
      }, this.#o.pushTimeoutMs ?? 15_000);
      this.#pending.set(id, { to, resolve, reject, onReply, timer });
      this.send(xml("iq", { type: "set", id, to, from: this.#o.domain }, payload)).catch((err: Error) => {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(err);
      });
    });
  }

  #onStanza(stanza: Element): void {
    const type = stanza.attrs.type;
    if (stanza.name === "iq" && (type === "result" || type === "error")) {
      const p = this.#pending.get(stanza.attrs.id ?? "");
      // Only the address we asked may answer (a stranger cannot fake a Thing's ack).
      if (p && stanza.attrs.from !== undefined && bareJid(stanza.attrs.from) === bareJid(p.to)) {
        this.#pending.delete(stanza.attrs.id ?? "");
        clearTimeout(p.timer);
        try {
          p.onReply?.(stanza);
        } catch (err) {
          this.#o.log.error({ err }, "push reply handler failed");
        }
        p.resolve(stanza);
      }
      return;
    }
    try {
      this.#o.onStanza(stanza);
    } catch (err) {
      this.#o.log.error({ err }, "stanza handler failed");
    }
  }

  async #run(firstDone: () => void): Promise<void> {
    const signal = this.#stop.signal;
    for (let attempt = 0; !signal.aborted;) {
      const dropped = new Promise<void>((resolve) => (this.#dropped = resolve));
      try {
        if (this.#entity.status !== "offline") await this.#entity.stop().catch(() => undefined);
        await Promise.race([
          this.#entity.start(),
          dropped.then(() => Promise.reject(new Error("connection closed during the handshake"))),
          sleep(20_000, undefined, { signal }).then(() => Promise.reject(new Error("handshake timed out"))),
        ]);
        attempt = 0;
        this.#o.log.info({ service: this.#o.service, domain: this.#o.domain }, "component online");
        firstDone();
        this.#o.onOnline?.();
        await dropped;
        if (!signal.aborted) this.#o.log.warn({ service: this.#o.service }, "component connection lost; reconnecting");
      } catch (err) {
        firstDone();
        if (signal.aborted) break;
        this.#o.log.warn({ err: { message: (err as Error).message }, service: this.#o.service }, "component could not connect");
      }
      if (signal.aborted) break;
      await sleep(backoffDelay(attempt++, { baseMs: 1_000, capMs: 30_000 }), undefined, { signal }).catch(() => undefined);
    }
  }
}
