import { describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { RequestGate } from "../../../agent/access/gate.js";
import { RateLimiter } from "../../../agent/access/rate-limit.js";
import { NS_SENSORDATA, NS_STANZAS } from "../../../agent/protocol/ns.js";

const OWNER = "owner@example.org";
const READER = "reader@example.org";
let now = 0;

function gate(): RequestGate {
  now = 0;
  const readers = new Set([OWNER, READER]);
  return new RequestGate({
    limits: { requestsPerSecond: 1, burst: 2, ownerFactor: 3 },
    exempt: () => ["example.org", "registry.example.org", undefined],
    isOwner: (from) => from.startsWith(OWNER),
    canRead: (from) => readers.has(from.split("/")[0]!),
    limiter: new RateLimiter({ now: () => now }),
  });
}

const req = (from: string, seqnr = "7") =>
  xml("iq", { type: "get", from, to: "thing@example.org/t", id: `i${seqnr}` }, xml("req", { xmlns: NS_SENSORDATA, seqnr, momentary: "true" }));
const ping = (from: string) => xml("iq", { type: "get", from, to: "thing@example.org/t", id: "p" }, xml("ping", { xmlns: "urn:xmpp:ping" }));

function condition(reply: Element | undefined): [string | undefined, string | undefined, string | undefined] {
  const err = reply?.getChild("error");
  return [err?.attrs.type, err?.getChildElements().find((c) => c.getNS() === NS_STANZAS && c.name !== "text")?.name, reply?.getChild("rejected", NS_SENSORDATA)?.attrs.seqnr];
}

describe("RequestGate", () => {
  it("refuses a stranger's readout with forbidden and <rejected>, without touching a bucket", () => {
    const g = gate();
    const reply = g.check(req("stranger@evil.example/x", "42"));
    expect(condition(reply)).toStrictEqual(["cancel", "forbidden", "42"]);
    expect(reply!.attrs).toMatchObject({ type: "error", to: "stranger@evil.example/x", id: "i42" });
    expect(g.limiter.size).toBe(0);
  });

  it("limits a reader to its burst with resource-constraint (wait), then lets it through again", () => {
    const g = gate();
    expect(g.check(req(`${READER}/a`, "1"))).toBeUndefined();
    expect(g.check(req(`${READER}/b`, "2"))).toBeUndefined(); // same bare JID, same bucket
    expect(condition(g.check(req(`${READER}/a`, "3")))).toStrictEqual(["wait", "resource-constraint", "3"]);
    expect(condition(g.check(ping(`${READER}/a`)))).toStrictEqual(["wait", "resource-constraint", undefined]);
    now += 1000;
    expect(g.check(req(`${READER}/a`, "4"))).toBeUndefined();
  });

  it("gives the owner owner_factor times the burst", () => {
    const g = gate();
    const results = Array.from({ length: 7 }, (_, i) => g.check(req(`${OWNER}/o`, String(i))) === undefined);
    expect(results).toStrictEqual([true, true, true, true, true, true, false]);
  });

  it("never limits the server, components, or result/error IQs", () => {
    const g = gate();
    for (let i = 0; i < 10; i++) {
      expect(g.check(ping("example.org"))).toBeUndefined();
      expect(g.check(xml("iq", { type: "set", from: "registry.example.org", id: "c" }, xml("claimed", { xmlns: "urn:xmpp:iot:discovery" })))).toBeUndefined();
      expect(g.check(xml("iq", { type: "result", from: `${READER}/a`, id: "r" }))).toBeUndefined();
    }
  });

  it("rate-limits strangers' other requests too (pings), per bare JID", () => {
    const g = gate();
    expect(g.check(ping("stranger@evil.example/1"))).toBeUndefined();
    expect(g.check(ping("stranger@evil.example/2"))).toBeUndefined();
    expect(condition(g.check(ping("stranger@evil.example/3")))[1]).toBe("resource-constraint");
  });
});
