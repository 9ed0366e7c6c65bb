// XEP-0198 bookkeeping without I/O: the count of stanzas received ('h' we report) and the
// queue of stanzas sent but not yet acknowledged, both modulo 2^32 (XEP-0198 §5: 'h' wraps to
// 0 after 2^32 - 1). docs/reconnect.md "Stream management".

const MOD = 0x1_0000_0000;

/** (a - b) mod 2^32, as a non-negative number. */
export function seqDiff(a: number, b: number): number {
  return (((a - b) % MOD) + MOD) % MOD;
}

export function seqNext(n: number): number {
  return (n + 1) % MOD;
}

/** Stanzas received on the stream since SM was enabled (the 'h' of our <a/> and <resume/>). */
export class InboundCounter {
  #h: number;

  constructor(start = 0) {
    this.#h = start;
  }

  get h(): number {
    return this.#h;
  }

  received(): void {
    this.#h = seqNext(this.#h);
  }
}

export interface QueuedStanza<T> {
  /** Its number among the stanzas sent since SM was enabled (1 for the first, wrapping). */
  seq: number;
  stanza: T;
  /** When it was first handed to the session (ms since the epoch). */
  at: number;
}

export type AckResult =
  | { ok: true; acked: number }
  /** The peer acknowledged more than was ever sent: a broken counter, nothing was trimmed. */
  | { ok: false; outstanding: number; claimed: number };

/**
 * Outbound stanzas since SM was enabled: `sent` counts them, `acked` is the last 'h' from the
 * peer, and the queue keeps the ones in between (at most `limit`; past it the oldest are given up).
 */
export class OutboundQueue<T> {
  #sent: number;
  #acked: number;
  #queue: Array<QueuedStanza<T>> = [];
  #dropped = 0;

  constructor(
    private readonly limit = 500,
    start = 0,
  ) {
    this.#sent = start;
    this.#acked = start;
  }

  get sent(): number {
    return this.#sent;
  }

  get acked(): number {
    return this.#acked;
  }

  /** Stanzas given up because the queue was full (never acknowledged, no longer resent). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Sent but not acknowledged (including any given up). */
  get outstanding(): number {
    return seqDiff(this.#sent, this.#acked);
  }

  get length(): number {
    return this.#queue.length;
  }

  push(stanza: T, at: number): number {
    this.#sent = seqNext(this.#sent);
    this.#queue.push({ seq: this.#sent, stanza, at });
    if (this.#queue.length > this.limit) {
      this.#queue.shift();
      this.#dropped++;
    }
    return this.#sent;
  }

  /** The peer handled `h` stanzas in all: drop those from the queue. */
  ack(h: number): AckResult {
    const outstanding = this.outstanding;
    const claimed = seqDiff(h, this.#acked);
    if (claimed > outstanding) return { ok: false, outstanding, claimed };
    this.#acked = h;
    const keep = seqDiff(this.#sent, h);
    const trim = Math.max(0, this.#queue.length - keep);
    this.#queue.splice(0, trim);
    return { ok: true, acked: claimed };
  }

  /** What is still unacknowledged, oldest first. */
  unacked(): ReadonlyArray<QueuedStanza<T>> {
    return this.#queue;
  }

  /** Empty the queue and return what was in it (the session is over). */
  drain(): Array<QueuedStanza<T>> {
    const all = this.#queue;
    this.#queue = [];
    this.#acked = this.#sent;
    return all;
  }
}
