import { describe, expect, it } from "vitest";
import { discoverServices, Endpoints, orderSrv, srvServices, type SrvRecord } from "../../../agent/transport/endpoints.js";

const rec = (name: string, priority: number, weight: number, port = 5222): SrvRecord => ({ name, port, priority, weight });

/** A deterministic sequence of "random" numbers in [0, 1). */
function seq(...values: number[]) {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe("SRV ordering (RFC 2782)", () => {
  it("lower priority first; within a priority, by weight", () => {
    const records = [rec("c", 20, 0), rec("a", 10, 90), rec("b", 10, 10)];
    // random 0.5 of (100+1): running sums b=10, a=100 → a first.
    expect(orderSrv(records, seq(0.5, 0.5)).map((r) => r.name)).toStrictEqual(["a", "b", "c"]);
    // random 0.05 → 5.05 ≤ 10 → b first.
    expect(orderSrv(records, seq(0.05, 0.5)).map((r) => r.name)).toStrictEqual(["b", "a", "c"]);
  });

  it("weights shape the odds over many draws", () => {
    const records = [rec("heavy", 0, 80), rec("light", 0, 20)];
    let heavyFirst = 0;
    for (let i = 0; i < 2_000; i++) if (orderSrv(records)[0]!.name === "heavy") heavyFirst++;
    expect(heavyFirst / 2_000).toBeGreaterThan(0.7);
    expect(heavyFirst / 2_000).toBeLessThan(0.9);
  });

  it("STARTTLS and direct-TLS records merge into service URLs; '.' means no service", () => {
    expect(srvServices([rec("a.example.org", 10, 0, 5222), rec(".", 0, 0)], [rec("b.example.org", 5, 0, 5223)], seq(0))).toStrictEqual([
      "xmpps://b.example.org:5223",
      "xmpp://a.example.org:5222",
    ]);
  });

  it("discovery falls back to the domain on 5222 without records (or when DNS fails)", async () => {
    expect(await discoverServices("example.org", () => Promise.reject(new Error("ENOTFOUND")))).toStrictEqual(["xmpp://example.org:5222"]);
    const resolver = (name: string) =>
      Promise.resolve(name.startsWith("_xmpp-client") ? [rec("node1.example.org", 0, 0), rec("node2.example.org", 1, 0)] : []);
    expect(await discoverServices("example.org", resolver)).toStrictEqual(["xmpp://node1.example.org:5222", "xmpp://node2.example.org:5222"]);
  });
});

describe("Endpoints", () => {
  it("moves to the next endpoint at once and backs off only after a whole failed round", async () => {
    const e = new Endpoints(["xmpp://a:5222", "xmpp://b:5222", "xmpp://c:5222"], () => Promise.resolve([]));
    expect(await e.current()).toBe("xmpp://a:5222");
    expect(e.failed()).toBe(false);
    expect(await e.current()).toBe("xmpp://b:5222");
    e.succeeded();
    expect(e.failed()).toBe(false); // b died later: c next, no backoff
    expect(await e.current()).toBe("xmpp://c:5222");
    expect(e.failed()).toBe(false);
    expect(await e.current()).toBe("xmpp://a:5222");
    expect(e.failed()).toBe(true); // c, a and (before) b all failed since the last success
    expect(await e.current()).toBe("xmpp://b:5222");
  });

  it("re-discovers from DNS at the start of each round when nothing is configured", async () => {
    let calls = 0;
    const e = new Endpoints([], () => Promise.resolve([`xmpp://n${++calls}:5222`]));
    expect(await e.current()).toBe("xmpp://n1:5222");
    expect(e.failed()).toBe(true);
    expect(await e.current()).toBe("xmpp://n2:5222");
  });
});
