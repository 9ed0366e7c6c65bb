// A Thing Registry that is a bare JID (protocol.md §2.1) is a contact: befriend it (presence
// subscribe, wait for `subscribed`) before talking to it, send IQs to the full JID its presence
// names (an IQ to a bare JID is answered by the server, RFC 6120 §10.5.4), unfriend it when
// removed. A component registry needs none of this.
import type { Logger } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { bareJid } from "../access/bare-jid.js";

type PresenceWaiter = { from: string; type: string; resolve: (ok: boolean) => void };

export class RegistryContact {
  readonly #friends = new Set<string>();
  readonly #waiters = new Set<PresenceWaiter>();
  /** Bare JID → the full JID it is online with. */
  readonly #resources = new Map<string, string>();

  constructor(
    private readonly send: (stanza: Element) => Promise<boolean>,
    private readonly log: Logger,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Every incoming presence: remembers full JIDs and resolves pending waits. */
  handlePresence(stanza: Element): void {
    const full = stanza.attrs.from ?? "";
    const from = bareJid(full);
    const type = stanza.attrs.type ?? "available";
    if (full.includes("/") && type === "available") this.#resources.set(from, full);
    if (type === "unavailable" && this.#resources.get(from) === full) this.#resources.delete(from);
    for (const w of [...this.#waiters]) {
      if (w.from === from && w.type === type) {
        this.#waiters.delete(w);
        w.resolve(true);
      }
    }
  }

  /** Where IQs for `registry` go: a JID registry's full JID once its presence told us. */
  address(registry: string): string {
    return (registry.includes("@") && !registry.includes("/") && this.#resources.get(bareJid(registry))) || registry;
  }

  /** Subscribe and wait for `subscribed`, then for its presence; a component returns at once. */
  async befriend(registry: string): Promise<void> {
    if (!registry.includes("@")) return;
    const bare = bareJid(registry);
    if (!this.#friends.has(bare)) {
      const approved = await this.#wait(bare, "subscribed", () => {
        void this.send(xml("presence", { type: "subscribe", to: bare })).catch((err: unknown) => {
          this.log.warn({ err, registry: bare }, "could not send the presence subscription to the Thing Registry");
        });
      });
      if (approved) {
        this.#friends.add(bare);
        this.log.info({ registry: bare }, "befriended the Thing Registry");
      } else {
        this.log.warn({ registry: bare, timeoutMs: this.timeoutMs }, "the Thing Registry did not approve our subscription; trying anyway");
      }
    }
    if (!registry.includes("/") && !this.#resources.has(bare) && !(await this.#wait(bare, "available"))) {
      this.log.warn({ registry: bare }, "the Thing Registry is not online (no presence); trying its bare JID");
    }
  }

  /** §2.4 <removed>: cancel both subscriptions with a JID registry. */
  async unfriend(registry: string): Promise<void> {
    if (!registry.includes("@")) return;
    const bare = bareJid(registry);
    this.#friends.delete(bare);
    await this.send(xml("presence", { type: "unsubscribe", to: bare })).catch(() => false);
    await this.send(xml("presence", { type: "unsubscribed", to: bare })).catch(() => false);
  }

  /** Give up every pending wait (shutdown). */
  stop(): void {
    for (const w of this.#waiters) w.resolve(false);
    this.#waiters.clear();
  }

  #wait(from: string, type: string, start?: () => void): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    return new Promise<boolean>((resolve) => {
      const waiter: PresenceWaiter = { from, type, resolve: (ok) => (clearTimeout(timer), resolve(ok)) };
      this.#waiters.add(waiter);
      timer = setTimeout(() => (this.#waiters.delete(waiter), resolve(false)), this.timeoutMs);
      start?.();
    });
  }
}
