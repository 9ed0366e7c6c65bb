// XEP-0198 counters and the unacknowledged queue, including the wrap of h at 2^32.
import { describe, expect, it } from "vitest";
import { InboundCounter, OutboundQueue, seqDiff } from "../../../agent/transport/sm-state.js";

const MAX = 0xffff_ffff;

describe("InboundCounter", () => {
  it("counts from 0 and wraps after 2^32 - 1", () => {
    const c = new InboundCounter();
    c.received();
    c.received();
    expect(c.h).toBe(2);
    const w = new InboundCounter(MAX - 1);
    w.received();
    expect(w.h).toBe(MAX);
    w.received();
    expect(w.h).toBe(0);
  });
});

describe("seqDiff", () => {
  it("is the distance modulo 2^32", () => {
    expect(seqDiff(5, 3)).toBe(2);
    expect(seqDiff(1, MAX)).toBe(2);
    expect(seqDiff(3, 3)).toBe(0);
  });
});

describe("OutboundQueue", () => {
  it("an <a h/> trims what the peer has and keeps the rest in order", () => {
    const q = new OutboundQueue<string>();
    for (const s of ["a", "b", "c", "d"]) q.push(s, 0);
    expect(q.ack(2)).toEqual({ ok: true, acked: 2 });
    expect(q.unacked().map((e) => e.stanza)).toEqual(["c", "d"]);
    expect(q.unacked().map((e) => e.seq)).toEqual([3, 4]);
    expect(q.ack(2)).toEqual({ ok: true, acked: 0 }); // a repeated h changes nothing
    expect(q.ack(4)).toEqual({ ok: true, acked: 2 });
    expect(q.length).toBe(0);
    expect(q.outstanding).toBe(0);
  });

  it("works across the wrap of h", () => {
    const q = new OutboundQueue<string>(500, MAX - 1);
    for (const s of ["a", "b", "c", "d"]) q.push(s, 0); // numbered MAX, 0, 1, 2
    expect(q.unacked().map((e) => e.seq)).toEqual([MAX, 0, 1, 2]);
    expect(q.ack(0)).toEqual({ ok: true, acked: 2 });
    expect(q.unacked().map((e) => e.stanza)).toEqual(["c", "d"]);
    expect(q.outstanding).toBe(2);
  });

  it("an h above what was sent is refused and trims nothing", () => {
    const q = new OutboundQueue<string>();
    q.push("a", 0);
    expect(q.ack(2)).toEqual({ ok: false, outstanding: 1, claimed: 2 });
    expect(q.length).toBe(1);
    expect(q.acked).toBe(0);
  });

  it("past its limit it gives up the oldest, and acks still line up", () => {
    const q = new OutboundQueue<string>(2);
    for (const s of ["a", "b", "c"]) q.push(s, 0);
    expect(q.dropped).toBe(1);
    expect(q.unacked().map((e) => e.stanza)).toEqual(["b", "c"]);
    expect(q.ack(2)).toEqual({ ok: true, acked: 2 });
    expect(q.unacked().map((e) => e.stanza)).toEqual(["c"]);
  });

  it("drain empties it and counts everything as settled", () => {
    const q = new OutboundQueue<string>();
    q.push("a", 5);
    expect(q.drain()).toEqual([{ seq: 1, stanza: "a", at: 5 }]);
    expect(q.outstanding).toBe(0);
  });
});
