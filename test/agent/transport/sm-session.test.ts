// One XEP-0198 session across connections: queueing while no connection carries it, resending
// only what the server lacks on <resumed h/>, the resumption window, and the replay rule.
import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { isReplayable, locationService, SmSession, type SmLink } from "../../../agent/transport/sm-session.js";

const log = pino({ level: "silent" });

/** A connection's write, recording what went on the wire. */
function wire(): SmLink & { written: string[] } {
  const written: string[] = [];
  return {
    written,
    write(els: Element[]) {
      written.push(...els.map((e) => e.toString()));
      return Promise.resolve();
    },
  };
}

function session(now: () => number, o: { resume?: boolean; maxSeconds?: number; location?: string } = {}): SmSession {
  const enabled = o.resume === false ? { resume: false } : { id: "sm-1", resume: true, ...(o.maxSeconds !== undefined && { maxSeconds: o.maxSeconds }), ...(o.location && { location: o.location }) };
  return new SmSession({ enabled, jid: "thing@example.org/gw", service: "xmpp://a.example.org:5222", log, now, ackRequestDelayMs: 60_000 });
}

const msg = (n: number) => xml("message", { to: "reader@example.org/r", id: `m${n}` });
const result = (id: string) => xml("iq", { type: "result", to: "reader@example.org/r", id });

describe("SmSession", () => {
  it("writes while attached, queues while not, and on <resumed h/> resends only what the server lacks", async () => {
    let now = 1_000;
    const s = session(() => now);
    const a = wire();
    s.attach(a);
    await s.send([result("q1"), msg(1)]);
    expect(a.written).toHaveLength(2);
    s.acknowledged(1); // the server has the IQ result
    s.detach(a);
    now += 500;
    await s.send([msg(2)]); // sent while the connection is gone
    expect(a.written).toHaveLength(2);
    expect(s.whyNotResumable()).toBeUndefined();

    const b = wire();
    const resent = await s.resume(b, 1);
    expect(resent).toBe(2);
    expect(b.written).toEqual([msg(1).toString(), msg(2).toString()]);
    expect(s.carriedBy(b)).toBe(true);
    await s.send([msg(3)]);
    expect(b.written).toHaveLength(3);
    expect(s.outbound.sent).toBe(4); // numbering carried on: the server counts on from h
  });

  it("a write that fails keeps the stanza queued", async () => {
    const s = session(() => 0);
    s.attach({ write: () => Promise.reject(new Error("EPIPE")) });
    await s.send([msg(1)]);
    expect(s.outbound.unacked().map((q) => q.stanza.attrs.id)).toEqual(["m1"]);
  });

  it("is not resumable past the server's max, after end(), or when the server did not offer it", () => {
    let now = 0;
    const s = session(() => now, { maxSeconds: 60 });
    const a = wire();
    s.attach(a);
    expect(s.whyNotResumable()).toBe("the session is still attached");
    s.detach(a);
    now = 59_999;
    expect(s.whyNotResumable()).toBeUndefined();
    now = 60_000;
    expect(s.whyNotResumable()).toBe("the resumption window has passed");

    const t = session(() => 0);
    t.end();
    expect(t.whyNotResumable()).toBe("the session has ended");
    expect(session(() => 0, { resume: false }).whyNotResumable()).toBe("the server did not offer resumption");
  });

  it("detach by a connection that no longer carries it changes nothing", () => {
    const s = session(() => 0);
    const a = wire();
    const b = wire();
    s.attach(a);
    s.attach(b);
    s.detach(a);
    expect(s.carriedBy(b)).toBe(true);
    expect(s.lostAt).toBeUndefined();
  });

  it("replays replies and messages younger than the limit, drops the rest", async () => {
    let now = 0;
    const s = session(() => now);
    await s.send([xml("presence", {}), xml("iq", { type: "get", id: "ping" }), result("old")]);
    now = 50_000;
    await s.send([result("q2"), msg(2), xml("presence", { type: "subscribed", to: "owner@example.org" })]);
    now = 70_000; // "old" is 70 s old now
    const replay = s.takeReplay();
    expect(replay.map((e) => `${e.name}:${e.attrs.id ?? e.attrs.type}`)).toEqual(["iq:q2", "message:m2", "presence:subscribed"]);
    expect(s.outbound.length).toBe(0);
  });
});

describe("isReplayable", () => {
  it("replies and messages yes; requests and availability no", () => {
    expect(isReplayable(result("x"))).toBe(true);
    expect(isReplayable(xml("iq", { type: "error", id: "x" }))).toBe(true);
    expect(isReplayable(msg(1))).toBe(true);
    expect(isReplayable(xml("iq", { type: "set", id: "x" }))).toBe(false);
    expect(isReplayable(xml("presence", {}))).toBe(false);
    expect(isReplayable(xml("presence", { type: "unavailable" }))).toBe(false);
    expect(isReplayable(xml("presence", { type: "unsubscribed" }))).toBe(true);
  });
});

describe("locationService", () => {
  it("keeps the scheme, and the port when the location has none", () => {
    expect(locationService("xmpp://a.example.org:5222", "node2.example.org")).toBe("xmpp://node2.example.org:5222");
    expect(locationService("xmpps://a.example.org:5223", "node2.example.org:5300")).toBe("xmpps://node2.example.org:5300");
    expect(locationService("xmpp://a.example.org", "10.0.0.2")).toBe("xmpp://10.0.0.2:5222");
    expect(locationService("xmpp://a.example.org:5222", "2001:db8::2")).toBe("xmpp://[2001:db8::2]:5222");
    expect(locationService("xmpp://[::1]:5999", "[2001:db8::2]:5222")).toBe("xmpp://[2001:db8::2]:5222");
  });
});
