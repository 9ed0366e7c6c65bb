// Presence subscription requests (protocol.md §3.1, §4): approve the owner, then isFriend (with a
// provisioning server) or the configured readers; refuse others. Before the first claim (no
// owner, no provisioning server) a request that would be refused is held instead: the future
// owner often asks first, and is approved the moment the claim lands.
import type { Logger } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { bareJid } from "./bare-jid.js";
import type { AccessPolicy } from "./policy.js";

/** Requests kept while unclaimed (the oldest is forgotten beyond this). */
const MAX_HELD = 64;

export interface SubscriptionOptions {
  access: AccessPolicy;
  /** True while nobody owns the Thing and no provisioning server decides. */
  unclaimed(): boolean;
  send(stanza: Element): Promise<unknown>;
  log: Logger;
}

export class Subscriptions {
  readonly #held = new Set<string>();

  constructor(private readonly o: SubscriptionOptions) {}

  /** A presence stanza; only `subscribe` is acted on. */
  async handle(stanza: Element): Promise<void> {
    const from = stanza.attrs.from;
    if (stanza.attrs.type !== "subscribe" || !from) return;
    const bare = bareJid(from);
    const allowed = await this.o.access.authorizeSubscription(from);
    if (!allowed && this.o.unclaimed() && bare !== "") {
      if (this.#held.size >= MAX_HELD) this.#held.delete(this.#held.values().next().value!);
      this.#held.add(bare);
      this.o.log.info({ from: bare }, "presence subscription request held until the Thing is claimed");
      return;
    }
    await this.o.send(xml("presence", { type: allowed ? "subscribed" : "unsubscribed", to: bare }));
    this.o.log.info({ from: bare, allowed }, "presence subscription request");
  }

  /** The claim decides the held requests: the owner's is approved, the others refused. */
  settle(owner: string): void {
    const held = [...this.#held];
    this.#held.clear();
    for (const jid of held) {
      const ok = jid === owner || this.o.access.canRead(jid);
      void this.o.send(xml("presence", { type: ok ? "subscribed" : "unsubscribed", to: jid })).catch((err: unknown) => {
        this.o.log.warn({ err, to: jid }, "could not answer a held presence subscription request");
      });
      this.o.log.info({ from: jid, allowed: ok }, "held presence subscription request settled by the claim");
    }
  }
}
