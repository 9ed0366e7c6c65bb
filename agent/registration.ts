// XEP-0347 first part (protocol.md §2.2, §2.4): register with meta tags + KEY on the first
// session, retry with backoff while the registry is unreachable, accept <claimed> only from
// the registry, and never register again once claimed.
import type { Logger } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { ProtocolError } from "./errors.js";
import { bareJid } from "./access.js";
import type { StateStore } from "./state.js";
import { buildRegister, parseClaimed, parseRegisterResult, type MetaTags } from "./protocol/discovery.js";
import { backoffDelay, type BackoffPolicy } from "./transport/backoff.js";
import { discoverRegistry } from "./registry-discovery.js";
import type { IqHandler } from "./transport/iq-router.js";

export interface RegistrationOptions {
  /** Configured registry address; when absent the registry is searched for on `domain`. */
  registry: string | undefined;
  domain: string;
  meta: MetaTags;
  store: StateStore;
  log: Logger;
  request(stanza: Element): Promise<Element>;
  send(stanza: Element): Promise<boolean>;
  isOnline(): boolean;
  backoff?: BackoffPolicy;
}

export class Registration {
  #running = false;
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(private readonly o: RegistrationOptions) {}

  /** Tags sent to the registry: configured meta, then KEY (§2.3). */
  tags(): MetaTags {
    return { ...this.o.meta, KEY: this.o.store.state.key };
  }

  /** Called on every new session; registers unless already claimed (§2.2: never after a claim). */
  /** The configured registry, else the one found by search and kept in the state. */
  get registry(): string | undefined {
    return this.o.registry ?? this.o.store.state.registry;
  }

  async ensureRegistered(): Promise<void> {
    const { store, log } = this.o;
    if (this.#running) return;
    this.#running = true;
    try {
      let registry = this.registry;
      if (!registry) {
        registry = await discoverRegistry(this.o.request, this.o.domain, log);
        if (!registry) {
          log.warn({ domain: this.o.domain }, "no Thing Registry found on the server; set registry.jid to register");
          return;
        }
        log.info({ registry }, "found a Thing Registry by service discovery");
        await store.update({ registry });
      }
      if (store.state.status === "CLAIMED" && store.state.registry === registry) return;
      for (let attempt = 0; !this.#stopped && this.o.isOnline(); attempt++) {
        try {
          const result = await this.o.request(xml("iq", { type: "set", to: registry }, buildRegister(this.tags())));
          const claim = parseRegisterResult(result);
          if (claim) await this.#claimed(claim.owner, claim.isPublic);
          else await store.update({ status: "REGISTERED", registry, owner: undefined, isPublic: undefined });
          log.info({ registry, status: store.state.status, owner: store.state.owner }, "registered with the Thing Registry");
          return;
        } catch (err) {
          const delay = backoffDelay(attempt, this.o.backoff);
          log.warn({ err: { message: (err as Error).message, condition: (err as { condition?: string }).condition }, registry, retryInMs: delay }, "registration failed; retrying");
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, delay);
            this.#wake = () => (clearTimeout(t), resolve());
          });
        }
      }
    } finally {
      this.#running = false;
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  /** Registry push <claimed> (§2.4), accepted only from the registry address. */
  readonly handleClaimed: IqHandler = async ({ child, from }) => {
    this.#fromRegistry(from);
    const claim = parseClaimed(child);
    await this.#claimed(claim.owner, claim.isPublic);
    this.o.log.info({ owner: claim.owner, public: claim.isPublic }, "claimed");
    return undefined;
  };

  /** <removed>: out of searches; the owner stays (§2.4). */
  readonly handleRemoved: IqHandler = ({ from }) => {
    this.#fromRegistry(from);
    this.o.log.info("removed from the registry's searches");
    return undefined;
  };

  /** <disowned>: forget the owner and register again (§2.4). */
  readonly handleDisowned: IqHandler = async ({ from }) => {
    this.#fromRegistry(from);
    await this.o.store.update({ status: "UNREGISTERED", owner: undefined, isPublic: undefined });
    this.o.log.info("disowned; registering again");
    setImmediate(() => void this.ensureRegistered());
    return undefined;
  };

  #fromRegistry(from: string): void {
    const registry = this.registry;
    if (!registry || bareJid(from) !== bareJid(registry)) {
      throw new ProtocolError("forbidden", "Only the Thing Registry may send this.");
    }
  }

  async #claimed(owner: string, isPublic: boolean): Promise<void> {
    await this.o.store.update({ status: "CLAIMED", registry: this.registry, owner: bareJid(owner), isPublic });
    // Mutual presence with the owner (protocol.md §4).
    await this.o.send(xml("presence", { type: "subscribe", to: bareJid(owner) })).catch(() => false);
  }
}
