// Per-requester token buckets (one per bare JID), so one client cannot starve the others or
// the sensors. Memory is bounded: a bucket idle long enough to be full again is the same as no
// bucket, so those are dropped as we go (oldest-touched first, O(1) amortised), and past
// `maxBuckets` the least recently used one goes.

export interface BucketPolicy {
  /** Sustained rate. */
  perSecond: number;
  /** Bucket size: requests allowed at once after an idle spell. */
  burst: number;
}

export interface RateLimiterOptions {
  maxBuckets?: number;
  /** Monotonic clock in ms (tests pass a fake). */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
  /** When this bucket is full again (then it may be dropped). */
  fullAt: number;
}

export const DEFAULT_MAX_BUCKETS = 10_000;

export class RateLimiter {
  // Map iteration order is insertion order; take() re-inserts, so the first key is the one
  // touched longest ago.
  readonly #buckets = new Map<string, Bucket>();
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: RateLimiterOptions = {}) {
    this.#max = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
    this.#now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** Take one token for `key`; false when the bucket is empty (refuse the request). */
  take(key: string, policy: BucketPolicy): boolean {
    const now = this.#now();
    this.#sweep(now);
    const b = this.#buckets.get(key);
    let tokens = policy.burst;
    if (b) {
      tokens = Math.min(policy.burst, b.tokens + ((now - b.at) / 1000) * policy.perSecond);
      this.#buckets.delete(key);
    } else if (this.#buckets.size >= this.#max) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    const ok = tokens >= 1;
    if (ok) tokens -= 1;
    const refillMs = policy.perSecond > 0 ? ((policy.burst - tokens) / policy.perSecond) * 1000 : Infinity;
    this.#buckets.set(key, { tokens, at: now, fullAt: now + refillMs });
    return ok;
  }

  /** Drop full (idle) buckets from the least recently used end; stops at the first busy one. */
  #sweep(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.fullAt > now) return;
      this.#buckets.delete(key);
    }
  }
}
