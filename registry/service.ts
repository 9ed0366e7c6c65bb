// The Thing Registry's rules (docs/registry.md), independent of how requests arrive (IQ, chat,
// ad-hoc command): register/update/unregister from a Thing about itself; mine/remove/disown
// from a person about a Thing; search from anyone. Each change is applied to the store in the
// same tick it is decided (so two racing claims cannot both win) and answered only once the
// journal has it on disk.
import { randomBytes } from "node:crypto";
import type { Element } from "@xmpp/xml";
import type { Logger } from "pino";
import { ClaimLimiter } from "./claim-limiter.js";
import { bareJid } from "./jid.js";
import { RegistryError } from "./protocol/errors.js";
import { buildClaimedForThing, buildDisowned, buildRemoved, readNode } from "./protocol/stanzas.js";
import { MAX_TAGS, parseTags, signature, type Tags } from "./protocol/tags.js";
import { isClaimed, keyOf, recordKey, type NodeRef, type ThingRecord } from "./store/record.js";
import type { SearchPage, ThingStore } from "./store/things.js";
import type { SearchRequest } from "./protocol/search.js";

/** Sends an IQ set to a Thing; resolves with its reply (result or error), rejects on timeout. */
export type Push = (to: string, payload: Element, onReply?: (reply: Element) => void) => Promise<Element>;

export interface RegistryServiceOptions {
  store: ThingStore;
  /** Resolves once every change made so far is on disk. */
  durable(): Promise<void>;
  push: Push;
  log: Logger;
  limiter?: ClaimLimiter;
  /** Registrations one bare JID may hold (a Thing and the nodes behind it). */
  maxPerJid?: number;
}

export type RegisterOutcome = { claimed: ThingRecord } | { registered: ThingRecord };
export type UpdateOutcome = "ok" | "disowned";

export class RegistryService {
  readonly limiter: ClaimLimiter;
  readonly #store: ThingStore;
  readonly #log: Logger;
  readonly #disowning = new Set<string>();
  readonly #maxPerJid: number;

  constructor(private readonly o: RegistryServiceOptions) {
    this.#store = o.store;
    this.#log = o.log;
    this.limiter = o.limiter ?? new ClaimLimiter();
    this.#maxPerJid = o.maxPerJid ?? 64;
  }

  /** <register> from `from` (a full JID, as the server stamped it). */
  async register(from: string, el: Element, ns: string): Promise<RegisterOutcome> {
    if (el.attrs.jid !== undefined) throw new RegistryError("bad-request", "a Thing registers itself: <register> takes no jid");
    const tags = parseTags(el);
    const node = readNode(el);
    const jid = bareJid(from);
    const key = recordKey(jid, node);
    const old = this.#store.get(key);
    const selfOwned = el.attrs.selfOwned === "true" || el.attrs.selfOwned === "1";
    if (old && old.owner !== undefined) {
      // Claimed: keep the tags, remember where the Thing is now, tell it who owns it.
      if (old.address !== from || old.ns !== ns) {
        this.#store.put({ ...old, address: from, ns });
        await this.o.durable();
      }
      return { claimed: this.#store.get(key)! };
    }
    if (!old && this.#store.ofJid(jid).length >= this.#maxPerJid) {
      throw new RegistryError("resource-constraint", `at most ${this.#maxPerJid} registrations per JID`);
    }
    const next: ThingRecord = { jid, ...node, address: from, ns, tags, selfOwned, isPublic: true, removed: false };
    const same = old && old.address === from && old.ns === ns && old.selfOwned === selfOwned && signature(old.tags) === signature(tags);
    if (!same) {
      this.#store.put(next);
      await this.o.durable();
    }
    this.#log.info({ thing: jid, ...node, selfOwned, tags: tags.size }, old ? "registration renewed" : "Thing registered");
    return { registered: this.#store.get(key)! };
  }

  /** <update>: a Thing about itself, or an owner naming its Thing with `jid`. */
  async update(from: string, el: Element): Promise<UpdateOutcome> {
    const changes = parseTags(el, { allowEmpty: true });
    const node = readNode(el);
    const sender = bareJid(from);
    const target = el.attrs.jid !== undefined ? bareJid(el.attrs.jid) : sender;
    const r = this.#store.get(recordKey(target, node));
    if (target !== sender) {
      // An owner updating its Thing; anyone else sees no such Thing.
      if (!r || r.owner !== sender) throw new RegistryError("item-not-found", "no such Thing among yours");
    } else {
      if (!r || r.removed) throw new RegistryError("item-not-found", "not in the registry");
      if (!isClaimed(r)) return "disowned";
    }
    const tags: Tags = new Map(r.tags);
    for (const [k, t] of changes) {
      if (t.type === "str" && t.value === "") tags.delete(k);
      else tags.set(k, t);
    }
    if (tags.size > MAX_TAGS) throw new RegistryError("bad-request", `too many tags (at most ${MAX_TAGS})`);
    this.#store.put({ ...r, tags });
    await this.o.durable();
    return "ok";
  }

  /** <unregister>: forget the Thing (always an empty result). */
  async unregister(from: string, el: Element): Promise<void> {
    const key = recordKey(bareJid(from), readNode(el));
    if (this.#store.delete(key)) {
      await this.o.durable();
      this.#log.info({ thing: bareJid(from) }, "Thing unregistered");
    }
  }

  /**
   * A claim: the unclaimed Thing whose tags are exactly `tags` becomes `from`'s. A wrong,
   * unknown or someone else's Thing all look the same (item-not-found) and count as a failure.
   */
  async mine(from: string, tags: Tags, isPublic: boolean): Promise<ThingRecord> {
    const claimer = bareJid(from);
    if (!this.limiter.allowed(claimer)) {
      throw new RegistryError("resource-constraint", `too many failed claims; try again in ${Math.ceil(this.limiter.retryAfterMs(claimer) / 1000)} s`);
    }
    const candidates = tags.size === 0 ? [] : this.#store.withSignature(signature(tags));
    const mineAlready = candidates.find((r) => r.owner === claimer);
    if (mineAlready) return mineAlready;
    const free = candidates.find((r) => !isClaimed(r) && r.jid !== claimer && !this.#disowning.has(keyOf(r)));
    if (!free) {
      this.limiter.fail(claimer);
      throw new RegistryError("item-not-found", "no such Thing to claim");
    }
    const claimed: ThingRecord = { ...free, owner: claimer, isPublic, removed: false };
    this.#store.put(claimed);
    await this.o.durable();
    this.#log.info({ thing: claimed.jid, nodeId: claimed.nodeId, owner: claimer, public: isPublic }, "Thing claimed");
    this.#tell(claimed, buildClaimedForThing(claimed.ns, claimed), "claimed");
    return claimed;
  }

  /** The owner takes its Thing out of searches. */
  async remove(from: string, thingJid: string, node: NodeRef): Promise<ThingRecord> {
    const r = this.#owned(from, thingJid, node);
    const removed: ThingRecord = { ...r, removed: true };
    this.#store.put(removed);
    await this.o.durable();
    this.#log.info({ thing: r.jid, nodeId: r.nodeId, owner: r.owner }, "Thing removed from searches");
    this.#tell(removed, buildRemoved(r.ns, r), "removed");
    return removed;
  }

  /**
   * The owner gives its Thing up. The Thing must acknowledge <disowned/> (else not-allowed: it
   * could not be claimed again); then it is unclaimed, its tags replaced by a random KEY until
   * it registers again.
   */
  async disown(from: string, thingJid: string, node: NodeRef): Promise<ThingRecord> {
    const r = this.#owned(from, thingJid, node);
    const key = keyOf(r);
    if (this.#disowning.has(key)) throw new RegistryError("not-allowed", "a disown of this Thing is already under way");
    this.#disowning.add(key);
    try {
      let acknowledged = false;
      let reply: Element;
      try {
        // Applied in the reply's own tick: a <register> right behind it must see it unclaimed.
        reply = await this.o.push(r.address, buildDisowned(r.ns, r), (stanza) => {
          if (stanza.attrs.type !== "result") return;
          acknowledged = true;
          const now = this.#store.get(key);
          if (!now || now.owner !== r.owner) return;
          const tags: Tags = new Map([["KEY", { name: "KEY", type: "str", value: randomBytes(16).toString("hex") }]]);
          this.#store.put({ ...now, owner: undefined, tags, isPublic: true, removed: false });
        });
      } catch (err) {
        this.#log.info({ thing: r.jid, err: (err as Error).message }, "disown: the Thing did not answer");
        throw new RegistryError("not-allowed", "the Thing is not online to acknowledge; try again when it is");
      }
      if (!acknowledged) {
        this.#log.info({ thing: r.jid, reply: reply.toString().slice(0, 200) }, "disown: the Thing refused");
        throw new RegistryError("not-allowed", "the Thing did not acknowledge");
      }
      await this.o.durable();
      this.#log.info({ thing: r.jid, nodeId: r.nodeId, owner: r.owner }, "Thing disowned");
      return r;
    } finally {
      this.#disowning.delete(key);
    }
  }

  search(req: SearchRequest): SearchPage {
    return this.#store.search(req);
  }

  /** `from`'s Things. */
  owned(from: string): ThingRecord[] {
    return this.#store.ownedBy(bareJid(from));
  }

  /** The Thing `thingJid` (+ node) if `from` owns it; else item-not-found, like a missing one. */
  #owned(from: string, thingJid: string, node: NodeRef): ThingRecord {
    const r = this.#store.get(recordKey(bareJid(thingJid), node));
    if (!r || r.owner !== bareJid(from)) throw new RegistryError("item-not-found", "no such Thing among yours");
    return r;
  }

  /** A push the Thing may miss (offline): it learns the state at its next <register>. */
  #tell(r: ThingRecord, payload: Element, what: string): void {
    void this.o.push(r.address, payload).then(
      (reply) => {
        if (reply.attrs.type !== "result") this.#log.warn({ thing: r.jid, what, reply: reply.toString().slice(0, 300) }, "the Thing refused a registry push");
      },
      (err: unknown) =>
        this.#log.info({ thing: r.jid, what, err: (err as Error).message }, "registry push not delivered (Thing offline?); it learns at its next registration"),
    );
  }
}
