// Test infrastructure: a minimal XEP-0347 Thing Registry, as an XEP-0114 component
// (written with @xmpp/component) connected to a test Prosody from ./prosody.ts.
//
// Why the component's middleware is detached: @xmpp/component wires @xmpp/middleware +
// @xmpp/iq/callee, and npm installed several copies of @xmpp/xml (0.13.x nested under
// @xmpp/component, @xmpp/component-core, @xmpp/connection-tcp, plus 0.14 at top level).
// The callee decides "payload or error?" with `reply instanceof xml.Element` against ITS copy,
// so an Element built with the `xml` exported by @xmpp/component silently turns into an
// EMPTY result (payloads dropped, errors answered as success), and anything the handler
// does not return becomes service-unavailable behind its back. So we remove that listener
// and handle every stanza here, explicitly.
import { readFileSync } from "node:fs";
import { component, xml } from "@xmpp/component";
import type { Element } from "@xmpp/xml";
import { createConnection } from "../../agent/transport/connection.js";

import type { ProsodyServer } from "./local-prosody.js";

export const NS_DISCOVERY = "urn:xmpp:iot:discovery";
export const NS_DISCOVERY_IEEE = "urn:ieee:iot:disco:1.0";
const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

export interface RegistrationTag {
  type: "str" | "num";
  value: string;
}

export interface RegistrationRecord {
  /** Full JID of the sender, as routed by Prosody. */
  from: string;
  /** Tags by name exactly as sent (the last one wins if a name repeats). */
  tags: Record<string, RegistrationTag>;
  selfOwned: boolean;
  /** The whole <iq/> as received (nodeId/sourceId etc. live on its <register/> child). */
  stanza: Element;
}

/** An <update/> received from a thing (§2.4). */
export interface UpdateRecord {
  from: string;
  tags: Record<string, RegistrationTag>;
  stanza: Element;
}

/** How the registry answers <update/>: empty result, item-not-found (removed), or <disowned/>. */
export type UpdateReply = "ok" | "item-not-found" | "disowned";

export interface TestRegistry {
  domain: string;
  /** The namespace this registry speaks (and advertises in disco#info). */
  namespace: string;
  /** Presence stanzas received (JID-registry mode: subscribe, unsubscribe, …), oldest first. */
  presences: Element[];
  /** Every <update/> received, oldest first (mutable like `registrations`). */
  updates: UpdateRecord[];
  /** Full JIDs of every <unregister/> received, oldest first. */
  unregistrations: string[];
  /** The answer to the next <update/>s (default "ok"). */
  updateReply: UpdateReply;
  /** Resolves with the first update matching `predicate` (earlier ones included). */
  waitForUpdate(predicate?: (u: UpdateRecord) => boolean, timeoutMs?: number): Promise<UpdateRecord>;
  /** Resolves once an <unregister/> from `from` (full JID) has arrived. */
  waitForUnregister(from: string, timeoutMs?: number): Promise<void>;
  /** Pushes `<removed/>` to the thing; resolves with its reply. */
  remove(thingFullJid: string): Promise<Element>;
  /** Forgets the owner and pushes `<disowned/>` to the thing; resolves with its reply. */
  disown(thingFullJid: string): Promise<Element>;
  /**
   * Every <register/> received, oldest first. It is a plain mutable array: tests may
   * `registrations.length = 0` to only see later ones.
   */
  registrations: RegistrationRecord[];
  /**
   * Unexpected failures inside the registry: handler exceptions, failed sends, stream errors.
   * Socket errors (ECONNREFUSED… while Prosody is down) are not recorded.
   */
  errors: Error[];
  /** True while the component is connected and authenticated. */
  isOnline(): boolean;
  /**
   * Resolves once the component is online. After server.kill()/restart() the component
   * reconnects by itself (@xmpp/reconnect, 1 s delay); await this before expecting traffic.
   */
  waitOnline(timeoutMs?: number): Promise<void>;
  /**
   * Resolves with the first record in `registrations` matching `predicate` (default: any),
   * including ones that arrived before the call; otherwise waits for the next matching one.
   * Rejects after `timeoutMs` (default 10 s).
   */
  waitForRegistration(predicate?: (r: RegistrationRecord) => boolean, timeoutMs?: number): Promise<RegistrationRecord>;
  /**
   * Records `owner` as the owner of the thing (keyed by bare JID: later <register/>s from it
   * are answered with <claimed/>) and sends it
   * `<iq type='set'><claimed xmlns='urn:xmpp:iot:discovery' jid=owner public='true|false'/></iq>`.
   * Resolves with the thing's reply stanza (result or error). `isPublic` defaults to true.
   */
  claim(thingFullJid: string, owner: string, isPublic?: boolean): Promise<Element>;
  /** Forgets a claim (the next <register/> from that thing gets an empty result again). */
  unclaim(thingJid: string): void;
  /** Sends `<iq type='set' to=to>payload</iq>`; resolves with the reply stanza (result or error). */
  push(to: string, payload: Element, timeoutMs?: number): Promise<Element>;
  /** Disconnects the component (no reconnect). Idempotent. */
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  /** Default "registry.localhost"; must be one of the `components` given to startProsody(). */
  domain?: string;
  /** Default: the secret configured for `domain` in startProsody(). */
  secret?: string;
  /**
   * JID-registry mode (protocol.md §2.1): the registry is this client account on the test server
   * (list it in startProsody's users) instead of a component. It approves every presence
   * subscription and records presences in `presences`. `domain` is then the account's bare JID.
   */
  account?: { user: string; password: string };
  /** Namespace to speak and advertise (default urn:xmpp:iot:discovery; NS_DISCOVERY_IEEE for the IEEE mode). */
  namespace?: string;
  /** Timeout for connecting + handshake (default 10 s). */
  timeoutMs?: number;
}

/** The subset of the @xmpp/component entity used here. */
interface ComponentEntity {
  status: string;
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  send(el: Element): Promise<void>;
  on(event: string, listener: (...args: any[]) => void): unknown;
  listeners(event: string): Array<(...args: any[]) => void>;
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
  /** Absent on a client entity (JID-registry mode). */
  reconnect?: { stop(): void; on(event: string, listener: (...args: any[]) => void): unknown };
}

function bare(j: string): string {
  const slash = j.indexOf("/");
  return (slash === -1 ? j : j.slice(0, slash)).toLowerCase();
}

function stanzaError(type: "cancel" | "modify" | "auth" | "wait", condition: string, text?: string): Element {
  const el = xml("error", { type }, xml(condition, { xmlns: NS_STANZAS }));
  if (text) el.append(xml("text", { xmlns: NS_STANZAS }, text));
  return el;
}

export async function startRegistry(server: ProsodyServer, opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  const account = opts.account;
  const domain = account ? `${account.user}@${server.domain}` : (opts.domain ?? "registry.localhost");
  /** `from` of what we send: a component names itself; a client's server stamps its JID. */
  const self = account ? undefined : domain;
  const configured = server.components.find((c) => c.domain === domain);
  if (!account && !configured && opts.secret === undefined) {
    throw new Error(
      `startRegistry: component ${domain} is not configured in Prosody; pass components: [{ domain: "${domain}", secret }] to startProsody()`,
    );
  }
  let entity: ComponentEntity;
  if (account) {
    // A client (no iq callee in createConnection, so nothing answers behind our back); its
    // middleware stays attached because SASL and resource binding run through it.
    entity = createConnection({
      service: server.service,
      domain: server.domain,
      jid: domain,
      password: account.password,
      resource: "registry",
      tlsRequired: true,
      ca: readFileSync(server.caFile, "utf8"),
    }).entity as unknown as ComponentEntity;
  } else {
    entity = component({
      service: `xmpp://127.0.0.1:${server.componentPort}`,
      domain,
      password: opts.secret ?? configured!.secret,
    }) as ComponentEntity;

    // Detach @xmpp/middleware (and with it @xmpp/iq's callee/caller): see the header comment.
    const elementListeners = entity.listeners("element");
    if (elementListeners.length !== 1) {
      throw new Error(`startRegistry: expected exactly 1 'element' listener (@xmpp/middleware), found ${elementListeners.length}`);
    }
    entity.removeListener("element", elementListeners[0]!);
  }

  const ns = opts.namespace ?? NS_DISCOVERY;
  const registrations: RegistrationRecord[] = [];
  const updates: UpdateRecord[] = [];
  const presences: Element[] = [];
  const unregistrations: string[] = [];
  let updateReply: UpdateReply = "ok";
  const changed = new Set<() => void>();
  const notify = () => changed.forEach((w) => w());
  /** Resolve with the first match of `find()`, now or after a later record; reject after `waitMs`. */
  const waitUntil = <T>(find: () => T | undefined, what: string, waitMs: number): Promise<T> => {
    const now = find();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const v = find();
        if (v === undefined) return;
        clearTimeout(t);
        changed.delete(check);
        resolve(v);
      };
      const t = setTimeout(() => {
        changed.delete(check);
        reject(new Error(`TestRegistry ${domain}: no ${what} within ${waitMs} ms`));
      }, waitMs);
      changed.add(check);
    });
  };
  const errors: Error[] = [];
  const owners = new Map<string, { owner: string; isPublic: boolean }>();
  const waiters = new Set<{ predicate: (r: RegistrationRecord) => boolean; resolve: (r: RegistrationRecord) => void }>();
  const pending = new Map<string, { resolve: (el: Element) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  let nextId = 0;
  let stopped = false;

  // Socket-level errors are expected while Prosody is killed/restarted (@xmpp/reconnect retries
  // every second); anything else (stream errors, handshake failures) is recorded.
  entity.on("error", (err: Error & { code?: unknown }) => {
    if (stopped) return;
    if (typeof err.code === "string" && /^E[A-Z]+$/.test(err.code)) return;
    errors.push(err);
  });

  // A failed send is recorded in `errors`, never an unhandled rejection.
  const record = (err: Error) => {
    errors.push(err);
  };
  const send = (el: Element): Promise<void> => entity.send(el).catch(record);
  /** Fire-and-forget send. */
  const post = (el: Element): void => {
    entity.send(el).catch(record);
  };

  const reply = (iq: Element, payload?: Element) => post(xml("iq", { type: "result", id: iq.attrs.id, to: iq.attrs.from, from: self }, payload));

  const replyError = (iq: Element, error: Element) => post(xml("iq", { type: "error", id: iq.attrs.id, to: iq.attrs.from, from: self }, error));

  const readTags = (el: Element) => {
    const tags: Record<string, RegistrationTag> = {};
    for (const child of el.getChildElements()) {
      if ((child.name === "str" || child.name === "num") && child.attrs.name !== undefined) {
        tags[child.attrs.name] = { type: child.name, value: child.attrs.value ?? "" };
      }
    }
    return tags;
  };

  const onUpdate = (iq: Element, update: Element) => {
    const from = iq.attrs.from ?? "";
    updates.push({ from, tags: readTags(update), stanza: iq });
    if (updateReply === "item-not-found") replyError(iq, stanzaError("cancel", "item-not-found"));
    else if (updateReply === "disowned") {
      owners.delete(bare(from));
      reply(iq, xml("disowned", { xmlns: ns }));
    } else reply(iq);
    notify();
  };

  const onRegister = (iq: Element, register: Element) => {
    const from = iq.attrs.from ?? "";
    const tags = readTags(register);
    const record: RegistrationRecord = { from, tags, selfOwned: register.attrs.selfOwned === "true", stanza: iq };
    registrations.push(record);

    const claimed = owners.get(bare(from));
    reply(
      iq,
      claimed
        ? xml("claimed", { xmlns: ns, jid: claimed.owner, public: claimed.isPublic ? "true" : "false" })
        : undefined,
    );

    notify();
    for (const w of [...waiters]) {
      if (w.predicate(record)) {
        waiters.delete(w);
        w.resolve(record);
      }
    }
  };

  const onRequest = (iq: Element) => {
    const type = iq.attrs.type;
    const children = iq.getChildElements();
    const child = children[0];
    if (children.length !== 1 || !child) {
      replyError(iq, stanzaError("modify", "bad-request", "an IQ request must have exactly one child"));
      return;
    }
    const childNs = child.attrs.xmlns;
    if (type === "get" && child.name === "query" && childNs === NS_DISCO_INFO) {
      reply(
        iq,
        xml(
          "query",
          { xmlns: NS_DISCO_INFO, node: child.attrs.node },
          xml("identity", { category: "component", type: "generic", name: "Test Thing Registry" }),
          xml("feature", { var: NS_DISCO_INFO }),
          xml("feature", { var: ns }),
        ),
      );
      return;
    }
    if (type === "get" && child.name === "query" && childNs === NS_DISCO_ITEMS) {
      reply(iq, xml("query", { xmlns: NS_DISCO_ITEMS, node: child.attrs.node }));
      return;
    }
    if (type === "set" && child.name === "register" && childNs === ns) {
      onRegister(iq, child);
      return;
    }
    if (type === "set" && child.name === "update" && childNs === ns) {
      onUpdate(iq, child);
      return;
    }
    if (type === "set" && child.name === "unregister" && childNs === ns) {
      unregistrations.push(iq.attrs.from ?? "");
      reply(iq);
      notify();
      return;
    }
    replyError(iq, stanzaError("cancel", "service-unavailable"));
  };

  entity.on("stanza", (stanza: Element) => {
    try {
      if (stanza.name === "presence") {
        presences.push(stanza);
        // JID-registry mode: approve every subscription (the Thing befriends us first, §2.1).
        if (account && stanza.attrs.type === "subscribe" && stanza.attrs.from) {
          post(xml("presence", { type: "subscribed", to: bare(stanza.attrs.from) }));
        }
        notify();
        return;
      }
      if (stanza.name !== "iq") return; // messages: ignored
      const type = stanza.attrs.type;
      if (type === "result" || type === "error") {
        const id = stanza.attrs.id ?? "";
        const p = pending.get(id);
        if (p) {
          pending.delete(id);
          clearTimeout(p.timer);
          p.resolve(stanza);
        }
        return;
      }
      if (type === "get" || type === "set") {
        onRequest(stanza);
        return;
      }
      replyError(stanza, stanzaError("modify", "bad-request", `bad iq type ${String(type)}`));
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      errors.push(e);
      if (stanza.name === "iq" && (stanza.attrs.type === "get" || stanza.attrs.type === "set")) {
        replyError(stanza, stanzaError("cancel", "internal-server-error", `test registry: ${e.message}`));
      }
    }
  });

  const push = (to: string, payload: Element, timeoutMs = 10_000): Promise<Element> => {
    if (stopped) return Promise.reject(new Error("TestRegistry: stopped"));
    const id = `reg-${++nextId}`;
    return new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`TestRegistry: no reply to iq ${id} (${payload.name}) from ${to} within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      entity.send(xml("iq", { type: "set", id, to, from: self }, payload)).catch((err: Error) => {
        pending.delete(id);
        clearTimeout(timer);
        reject(err);
      });
    });
  };

  // Connect + handshake.
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      entity.start(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    stopped = true;
    entity.reconnect?.stop();
    await entity.stop().catch(() => {});
    throw new Error(
      `startRegistry: component ${domain} could not connect to 127.0.0.1:${server.componentPort}: ${(err as Error).message}\n` +
        `--- tail of ${server.logFile} ---\n${await server.logTail(20)}`,
    );
  } finally {
    clearTimeout(timer);
  }
  if (account) {
    // Subscription requests reach only resources that fetched the roster (RFC 6121 §3.1.3).
    await send(xml("iq", { type: "get", id: "roster-1" }, xml("query", { xmlns: "jabber:iq:roster" })));
    await send(xml("presence", {}));
  }

  return {
    domain,
    namespace: ns,
    presences,
    registrations,
    updates,
    unregistrations,
    get updateReply() {
      return updateReply;
    },
    set updateReply(v: UpdateReply) {
      updateReply = v;
    },
    waitForUpdate(predicate = () => true, waitMs = 10_000) {
      return waitUntil(() => updates.find(predicate), "matching <update/>", waitMs);
    },
    async waitForUnregister(from, waitMs = 10_000) {
      await waitUntil(() => (unregistrations.includes(from) ? true : undefined), `<unregister/> from ${from}`, waitMs);
    },
    remove(thingFullJid) {
      return push(thingFullJid, xml("removed", { xmlns: ns }));
    },
    disown(thingFullJid) {
      owners.delete(bare(thingFullJid));
      return push(thingFullJid, xml("disowned", { xmlns: ns }));
    },
    errors,
    waitForRegistration(predicate = () => true, waitMs = 10_000) {
      const existing = registrations.find(predicate);
      if (existing) return Promise.resolve(existing);
      return new Promise<RegistrationRecord>((resolve, reject) => {
        const w = {
          predicate,
          resolve: (r: RegistrationRecord) => {
            clearTimeout(t);
            resolve(r);
          },
        };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(
            new Error(
              `TestRegistry ${domain}: no matching <register/> within ${waitMs} ms (received ${registrations.length}: ` +
                `${registrations.map((r) => r.from).join(", ") || "none"})`,
            ),
          );
        }, waitMs);
        waiters.add(w);
      });
    },
    claim(thingFullJid, owner, isPublic = true) {
      owners.set(bare(thingFullJid), { owner, isPublic });
      return push(thingFullJid, xml("claimed", { xmlns: ns, jid: owner, public: isPublic ? "true" : "false" }));
    },
    isOnline() {
      return entity.status === "online";
    },
    waitOnline(waitMs = 10_000) {
      if (entity.status === "online") return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const onOnline = () => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          entity.removeListener("online", onOnline);
          reject(new Error(`TestRegistry ${domain}: not online within ${waitMs} ms (status ${entity.status})`));
        }, waitMs);
        entity.on("online", onOnline);
      });
    },
    unclaim(thingJid) {
      owners.delete(bare(thingJid));
    },
    push,
    async stop() {
      if (stopped) return;
      stopped = true;
      entity.reconnect?.stop();
      for (const [id, p] of pending) {
        clearTimeout(p.timer);
        p.reject(new Error("TestRegistry: stopped"));
        pending.delete(id);
      }
      await entity.stop().catch(() => {});
    },
  };
}
