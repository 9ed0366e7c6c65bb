import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../../agent/access/rate-limit.js";

const P = { perSecond: 10, burst: 3 };

describe("RateLimiter", () => {
  it("allows a burst, refuses the next, refills at the sustained rate", () => {
    let now = 0;
    const l = new RateLimiter({ now: () => now });
    expect([l.take("a", P), l.take("a", P), l.take("a", P), l.take("a", P)]).toStrictEqual([true, true, true, false]);
    now += 99; // 0.99 token
    expect(l.take("a", P)).toBe(false);
    now += 101; // refusals do not cost a token: 0.99 + 1.01 = 2 tokens
    expect([l.take("a", P), l.take("a", P), l.take("a", P)]).toStrictEqual([true, true, false]);
  });

  it("keeps requesters apart", () => {
    let now = 0;
    const l = new RateLimiter({ now: () => now });
    for (let i = 0; i < 3; i++) l.take("flood", P);
    expect(l.take("flood", P)).toBe(false);
    expect(l.take("other", P)).toBe(true);
  });

  it("drops buckets once they are full again, so idle requesters cost no memory", () => {
    let now = 0;
    const l = new RateLimiter({ now: () => now });
    for (let i = 0; i < 1000; i++) l.take(`u${i}`, P);
    expect(l.size).toBe(1000);
    now += 1000; // 1 token refilled in 100 ms: every bucket is full again
    l.take("late", P);
    expect(l.size).toBe(1);
  });

  it("never holds more than maxBuckets, evicting the least recently used", () => {
    let now = 0;
    const l = new RateLimiter({ now: () => now, maxBuckets: 100 });
    for (let i = 0; i < 3; i++) l.take("busy", P);
    for (let i = 0; i < 10_000; i++) {
      l.take(`u${i}`, P);
      if (i % 50 === 0) l.take("busy", P); // keep "busy" recently used (and empty)
    }
    expect(l.size).toBe(100);
    expect(l.take("busy", P)).toBe(false); // its bucket survived the churn
  });
});
