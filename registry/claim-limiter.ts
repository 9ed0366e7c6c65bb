// Failed claims per bare JID, as a token bucket: `burst` failures at once, then one more per
// `refillMs`. A KEY is 128 random bits, so guessing is hopeless anyway; the cap keeps a guesser
// from costing the registry anything and says so (resource-constraint, type wait). Successful
// claims cost nothing. The table is bounded: when full, the longest-idle entries go first.
export interface ClaimLimiterOptions {
  burst?: number;
  refillMs?: number;
  maxEntries?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class ClaimLimiter {
  readonly burst: number;
  readonly refillMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(o: ClaimLimiterOptions = {}) {
    this.burst = o.burst ?? 10;
    this.refillMs = o.refillMs ?? 60_000;
    this.#max = o.maxEntries ?? 50_000;
    this.#now = o.now ?? Date.now;
  }

  #tokens(jid: string): number {
    const b = this.#buckets.get(jid);
    if (!b) return this.burst;
    return Math.min(this.burst, b.tokens + (this.#now() - b.at) / this.refillMs);
  }

  /** May `jid` try a claim now? */
  allowed(jid: string): boolean {
    return this.#tokens(jid) >= 1;
  }

  /** Milliseconds until `jid` may try again (0 when it may now). */
  retryAfterMs(jid: string): number {
    const t = this.#tokens(jid);
    return t >= 1 ? 0 : Math.ceil((1 - t) * this.refillMs);
  }

  /** Count one failed claim. */
  fail(jid: string): void {
    const tokens = this.#tokens(jid) - 1;
    this.#buckets.delete(jid); // re-insert: Map order is then least recently failed first
    this.#buckets.set(jid, { tokens, at: this.#now() });
    if (this.#buckets.size > this.#max) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
  }

  get size(): number {
    return this.#buckets.size;
  }
}
