// XEP-0347 lifecycle (protocol.md §2.1–§2.7): register with meta tags + KEY, retry with backoff
// while the registry is unreachable, accept pushes (<claimed>, <removed>, <disowned>) only from
// the registry, never register again once claimed; on a public claimed Thing blank the KEY once
// and send <update> only when the tags changed; befriend a JID registry before talking to it.
import type { Logger } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { ProtocolError } from "../errors.js";
import { bareJid } from "../access/bare-jid.js";
import type { StateStore } from "./state.js";
import {
  buildRegister,
  buildUnregister,
  buildUpdate,
  diffTags,
  mergeTags,
  parseClaimed,
  parseRegisterResult,
  parseUpdateResult,
  type MetaTags,
} from "../protocol/discovery.js";
import { NS_DISCOVERY, NS_ROSTER } from "../protocol/ns.js";
import { buildIotDiscoUri } from "../protocol/iotdisco.js";
import { renderQr } from "./claim-qr.js";
import { backoffDelay, type BackoffPolicy } from "../transport/backoff.js";
import { discoverRegistry, registryNamespace } from "./registry-discovery.js";
import { RegistryContact } from "./registry-contact.js";
import type { IqHandler } from "../transport/iq-router.js";

export interface RegistrationOptions {
  /** Told after every claim is stored (the Thing approves the owner's held subscription). */
  onClaimed?(owner: string): void;
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
  /** How long to wait for a JID registry to approve our subscription (default 10 s). */
  befriendTimeoutMs?: number;
}

export class Registration {
  #running = false;
  #stopped = false;
  #wake: (() => void) | undefined;
  /** Registry address → the namespace its disco#info asked for. */
  readonly #namespaces = new Map<string, string>();
  readonly #contact: RegistryContact;
  #qrLogged = false;

  constructor(private readonly o: RegistrationOptions) {
    this.#contact = new RegistryContact(o.send, o.log, o.befriendTimeoutMs);
  }

  /** Tags sent to the registry: configured meta, then KEY (§2.3). */
  tags(): MetaTags {
    return { ...this.o.meta, KEY: this.o.store.state.key };
  }

  /** The configured registry, else the one found by search and kept in the state. */
  get registry(): string | undefined {
    return this.o.registry ?? this.o.store.state.registry;
  }

  /** Called on every new session: register unless claimed (§2.2), else update changed tags (§2.7). */
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
      const owned = store.state.status === "CLAIMED" || store.state.status === "REMOVED";
      if (owned && store.state.registry === registry) {
        log.info({ registry, status: store.state.status, owner: store.state.owner, public: store.state.isPublic !== false }, "already claimed; not registering again");
        if (store.state.status === "CLAIMED" && store.state.isPublic !== false) {
          await this.#contact.befriend(registry);
          await this.#syncTags(registry, await this.#namespace(registry));
        }
        return;
      }
      await this.#contact.befriend(registry);
      const ns = await this.#namespace(registry);
      for (let attempt = 0; !this.#stopped && this.o.isOnline(); attempt++) {
        try {
          const tags = this.tags();
          const result = await this.o.request(xml("iq", { type: "set", to: this.#contact.address(registry) }, buildRegister(tags, ns)));
          const claim = parseRegisterResult(result);
          await store.update({ sentTags: tags, keyCleared: undefined });
          if (claim) await this.#claimed(claim.owner, claim.isPublic);
          else await store.update({ status: "REGISTERED", registry, owner: undefined, isPublic: undefined });
          log.info({ registry, namespace: ns, status: store.state.status, owner: store.state.owner }, "registered with the Thing Registry");
          if (claim) this.#afterClaim();
          else await this.#logClaimCode(registry);
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
    this.#contact.stop();
  }

  /** `thingd unregister`: <unregister/> (§2.4), then UNREGISTERED; the KEY is kept. */
  async unregister(): Promise<string> {
    const registry = this.registry;
    if (!registry) throw new Error("no registry configured or discovered");
    await this.#contact.befriend(registry);
    const ns = await this.#namespace(registry);
    await this.o.request(xml("iq", { type: "set", to: this.#contact.address(registry) }, buildUnregister(ns)));
    await this.o.store.update({ status: "UNREGISTERED", owner: undefined, isPublic: undefined, sentTags: undefined, keyCleared: undefined });
    return registry;
  }

  /** Every incoming presence: a JID registry's approval and full JID (§2.1). */
  handlePresence(stanza: Element): void {
    this.#contact.handlePresence(stanza);
  }

  /** Registry push <claimed> (§2.4), accepted only from the registry address. */
  readonly handleClaimed: IqHandler = async ({ child, from }) => {
    this.#fromRegistry(from);
    const claim = parseClaimed(child);
    await this.#claimed(claim.owner, claim.isPublic);
    this.o.log.info({ owner: claim.owner, public: claim.isPublic }, "claimed");
    this.#afterClaim();
    return undefined;
  };

  /** <removed>: out of searches; stop updates, unfriend a JID registry; the owner stays (§2.4). */
  readonly handleRemoved: IqHandler = async ({ from }) => {
    this.#fromRegistry(from);
    await this.o.store.update({ status: "REMOVED" });
    this.o.log.info("removed from the registry's searches; no more updates");
    const registry = this.registry;
    if (registry) {
      setImmediate(() => {
        void this.#contact.unfriend(registry).catch((err: unknown) => this.o.log.warn({ err, registry }, "could not unsubscribe from the Thing Registry"));
      });
    }
    return undefined;
  };

  /** <disowned>: forget the owner, remove it from the roster, register again (§2.4). */
  readonly handleDisowned: IqHandler = async ({ from }) => {
    this.#fromRegistry(from);
    const owner = await this.#forgetOwner();
    this.o.log.info({ owner }, "disowned; registering again");
    setImmediate(() => {
      void this.#rosterRemove(owner)
        .then(() => this.ensureRegistered())
        .catch((err: unknown) => this.o.log.error({ err }, "registering again after being disowned failed"));
    });
    return undefined;
  };

  #fromRegistry(from: string): void {
    const registry = this.registry;
    if (!registry || bareJid(from) !== bareJid(registry)) {
      throw new ProtocolError("forbidden", "Only the Thing Registry may send this.");
    }
  }

  async #namespace(registry: string): Promise<string> {
    const known = this.#namespaces.get(registry);
    if (known) return known;
    // Remember only a real answer: a registry unreachable right now is asked again next time.
    const ns = await registryNamespace(this.o.request, this.#contact.address(registry), this.o.log);
    if (ns) this.#namespaces.set(registry, ns);
    return ns ?? NS_DISCOVERY;
  }

  async #claimed(owner: string, isPublic: boolean): Promise<void> {
    await this.o.store.update({ status: "CLAIMED", registry: this.registry, owner: bareJid(owner), isPublic });
    // Mutual presence with the owner (protocol.md §4).
    await this.o.send(xml("presence", { type: "subscribe", to: bareJid(owner) })).catch(() => false);
    this.o.onClaimed?.(bareJid(owner));
  }

  /** After the claim's reply is on the wire: blank the KEY of a public Thing (§2.3). */
  #afterClaim(): void {
    const registry = this.registry;
    const { state } = this.o.store;
    if (!registry || state.status !== "CLAIMED" || state.isPublic === false) return;
    setImmediate(() => {
      void this.#namespace(registry)
        .then((ns) => this.#syncTags(registry, ns))
        .catch((err: unknown) => this.o.log.warn({ err }, "could not update the registry after the claim"));
    });
  }

  /** Blank the KEY once, then send the tags that changed since the last register/update (§2.7). */
  async #syncTags(registry: string, ns: string): Promise<void> {
    const { store } = this.o;
    if (!store.state.keyCleared) {
      if (!(await this.#update(registry, ns, { KEY: "" }))) return;
      await store.update({ keyCleared: true });
      this.o.log.info("KEY blanked in the registry after the claim");
    }
    const changes = diffTags(store.state.sentTags ?? {}, this.o.meta);
    if (Object.keys(changes).length === 0) return void this.o.log.debug("meta tags unchanged; no update");
    if (await this.#update(registry, ns, changes)) this.o.log.info({ tags: Object.keys(changes) }, "meta tags updated in the registry");
  }

  /** One <update>; false when it ended the public life (removed or disowned). */
  async #update(registry: string, ns: string, changes: MetaTags): Promise<boolean> {
    const { store, log } = this.o;
    if (store.state.status !== "CLAIMED") return false;
    let result: Element;
    try {
      result = await this.o.request(xml("iq", { type: "set", to: this.#contact.address(registry) }, buildUpdate(changes, ns)));
    } catch (err) {
      if ((err as { condition?: string }).condition === "item-not-found") {
        await store.update({ status: "REMOVED" });
        log.info("the registry no longer lists this Thing (update: item-not-found); no more updates");
        return false;
      }
      log.warn({ err: { message: (err as Error).message, condition: (err as { condition?: string }).condition } }, "registry update failed");
      return false;
    }
    if (parseUpdateResult(result) === "disowned") {
      const owner = await this.#forgetOwner();
      log.info({ owner }, "disowned (update result); registering again");
      await this.#rosterRemove(owner);
      setImmediate(() => {
        void this.ensureRegistered().catch((err: unknown) => this.o.log.error({ err }, "registering again after being disowned failed"));
      });
      return false;
    }
    await store.update({ sentTags: mergeTags(store.state.sentTags ?? {}, changes) });
    return true;
  }

  async #forgetOwner(): Promise<string | undefined> {
    const owner = this.o.store.state.owner;
    await this.o.store.update({ status: "UNREGISTERED", owner: undefined, isPublic: undefined, keyCleared: undefined });
    this.#qrLogged = false;
    return owner;
  }

  /** RFC 6121 §2.5: remove the former owner from the roster (this also cancels subscriptions). */
  async #rosterRemove(owner: string | undefined): Promise<void> {
    if (!owner) return;
    try {
      await this.o.request(xml("iq", { type: "set" }, xml("query", { xmlns: NS_ROSTER }, xml("item", { jid: owner, subscription: "remove" }))));
    } catch (err) {
      this.o.log.warn({ err, owner }, "could not remove the former owner from the roster");
    }
  }

  /** Once while unclaimed: the iotdisco: URI and its QR code in one log line (§2.5). */
  async #logClaimCode(registry: string): Promise<void> {
    if (this.#qrLogged || this.o.store.state.status !== "REGISTERED") return;
    this.#qrLogged = true;
    const uri = buildIotDiscoUri(this.tags(), registry);
    this.o.log.info({ uri, qr: await renderQr(uri) }, "not claimed yet: scan this claim code (or run thingd claim)");
  }
}
