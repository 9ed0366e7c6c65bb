// Where to connect (README "Fleets"): the configured `xmpp.service` list in order, or, with
// none configured, the domain's DNS SRV records (RFC 6120 §3.2.1 `_xmpp-client._tcp` for
// STARTTLS, XEP-0368 `_xmpps-client._tcp` for direct TLS), ordered by priority and, within a
// priority, by weighted random choice (RFC 2782); without records the domain on port 5222.
// A failed endpoint hands over to the next at once; only a whole round without success backs off,
// so a Thing on a dead cluster node moves to a live one without waiting out a backoff.
import { promises as dns } from "node:dns";

export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

export type SrvResolver = (name: string) => Promise<SrvRecord[]>;

/**
 * RFC 2782 order: ascending priority; within one priority, repeatedly pick a record with
 * probability proportional to its weight (weight-0 records can still be picked, last).
 */
export function orderSrv(records: readonly SrvRecord[], random: () => number = Math.random): SrvRecord[] {
  const byPriority = new Map<number, SrvRecord[]>();
  for (const r of records) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  const out: SrvRecord[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    // Zero weights first, as RFC 2782 asks, so they keep a small chance of going first.
    const pool = [...byPriority.get(priority)!].sort((a, b) => a.weight - b.weight);
    while (pool.length > 0) {
      const total = pool.reduce((s, r) => s + r.weight, 0);
      const pick = random() * (total + 1);
      let running = 0;
      let index = pool.findIndex((r) => (running += r.weight) >= pick);
      if (index < 0) index = pool.length - 1;
      out.push(pool.splice(index, 1)[0]!);
    }
  }
  return out;
}

/** The records as service URLs; "." as the target means "no service here" (RFC 2782). */
export function srvServices(starttls: readonly SrvRecord[], directTls: readonly SrvRecord[], random: () => number = Math.random): string[] {
  const tagged = [...starttls.map((r) => ({ ...r, scheme: "xmpp" })), ...directTls.map((r) => ({ ...r, scheme: "xmpps" }))].filter((r) => r.name !== "." && r.name !== "");
  const ordered = orderSrv(tagged, random) as Array<SrvRecord & { scheme: string }>;
  return ordered.map((r) => `${r.scheme}://${r.name.includes(":") ? `[${r.name}]` : r.name}:${r.port}`);
}

const systemResolver: SrvResolver = (name) => dns.resolveSrv(name);

/** Service URLs for `domain` from DNS, else `xmpp://domain:5222`. */
export async function discoverServices(domain: string, resolve: SrvResolver = systemResolver): Promise<string[]> {
  const lookup = (name: string) => resolve(name).catch(() => [] as SrvRecord[]);
  const [starttls, direct] = await Promise.all([lookup(`_xmpp-client._tcp.${domain}`), lookup(`_xmpps-client._tcp.${domain}`)]);
  const services = srvServices(starttls, direct);
  return services.length > 0 ? services : [`xmpp://${domain}:5222`];
}

/**
 * Round-robin over the endpoints. `next()` gives the service for the next attempt and whether
 * the attempt before it completed a whole round without success (then the caller backs off).
 */
export class Endpoints {
  #list: string[] = [];
  #index = 0;
  #failuresThisRound = 0;

  constructor(
    private readonly configured: readonly string[],
    private readonly discover: () => Promise<string[]>,
  ) {}

  /** The service to try now; re-discovered from DNS at the start of each round when none is configured. */
  async current(): Promise<string> {
    if (this.#list.length === 0 || (this.#index === 0 && this.#failuresThisRound === 0 && this.configured.length === 0)) {
      this.#list = this.configured.length > 0 ? [...this.configured] : await this.discover();
      this.#index = Math.min(this.#index, this.#list.length - 1);
    }
    return this.#list[this.#index]!;
  }

  /** The session on the current endpoint came up: it stays first choice. */
  succeeded(): void {
    this.#failuresThisRound = 0;
  }

  /** The current endpoint failed; true when every endpoint failed since the last success (back off now). */
  failed(): boolean {
    this.#failuresThisRound++;
    this.#index = (this.#index + 1) % Math.max(1, this.#list.length);
    if (this.#failuresThisRound >= this.#list.length) {
      this.#failuresThisRound = 0;
      return true;
    }
    return false;
  }

  get size(): number {
    return this.#list.length;
  }
}
