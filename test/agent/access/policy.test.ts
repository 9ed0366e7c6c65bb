// AccessPolicy decisions (docs/protocol.md §3.1) with and without a provisioning server. The
// provisioning server is reached through ProvisioningClient's `request` function, answered here
// with real XEP-0324 response stanzas (the transport is what is replaced, not the protocol code).
import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { AccessPolicy } from "../../../agent/access/policy.js";
import { ProvisioningClient } from "../../../agent/access/provisioning.js";
import { NS_PROVISIONING } from "../../../agent/protocol/ns.js";

const log = pino({ level: "silent" });
const question = { types: new Set(["momentary" as const]), nodes: [], fieldNames: new Set<string>() };

function provisioning(answer: (q: Element) => Element | Error, cacheMs = 60_000) {
  const asked: Element[] = [];
  const client = new ProvisioningClient({
    jid: "prov.example.org",
    cacheMs,
    timeoutMs: 50,
    log,
    request: async (iq) => {
      const q = iq.getChildElements()[0]!;
      asked.push(q);
      const a = answer(q);
      if (a instanceof Error) throw a;
      return xml("iq", { type: "result" }, a);
    },
    send: async () => true,
  });
  return { client, asked };
}

const response = (q: Element, result: boolean, ...children: Element[]) =>
  xml(`${q.name}Response`, { xmlns: NS_PROVISIONING, jid: q.attrs.jid, result: String(result) }, ...children);

describe("AccessPolicy without provisioning", () => {
  const policy = new AccessPolicy(["reader@example.org"], () => "owner@example.org");
  it("lets the owner read and control, readers only read, others nothing", async () => {
    expect(policy.authorizeRead("owner@example.org/app", question)).toStrictEqual({ allowed: true });
    expect(policy.authorizeRead("Reader@Example.org/x", question)).toStrictEqual({ allowed: true });
    expect(policy.authorizeRead("stranger@example.org/x", question)).toStrictEqual({ allowed: false });
    expect(await policy.authorizeControl("owner@example.org/app", ["relay"], ["Output"])).toStrictEqual({ allowed: true });
    expect(await policy.authorizeControl("reader@example.org/x", ["relay"], ["Output"])).toStrictEqual({ allowed: false });
    expect([policy.authorizeSubscription("reader@example.org"), policy.authorizeSubscription("stranger@example.org")]).toStrictEqual([true, false]);
  });
});

describe("AccessPolicy with provisioning", () => {
  it("never asks about the owner; asks canControl for others and passes the narrowing on", async () => {
    const { client, asked } = provisioning((q) => response(q, q.attrs.jid === "ctl@example.org", xml("parameter", { name: "Output" })));
    const policy = new AccessPolicy(["ctl@example.org"], () => "owner@example.org", client);
    expect(await policy.authorizeControl("owner@example.org/app", ["relay"], ["Output", "Pulse"])).toStrictEqual({ allowed: true });
    expect(asked).toStrictEqual([]);
    expect(await policy.authorizeControl("ctl@example.org/app", ["relay"], ["Output", "Pulse"])).toStrictEqual({ allowed: true, paramNames: ["Output"] });
    expect(asked[0]!.toString()).toBe(
      '<canControl xmlns="urn:xmpp:iot:provisioning" jid="ctl@example.org"><node nodeId="relay"/><parameter name="Output"/><parameter name="Pulse"/></canControl>',
    );
    expect(await policy.authorizeControl("other@example.org/app", ["relay"], ["Output"])).toStrictEqual({ allowed: false });
  });

  it("caches answers per question and forgets them on clearCache", async () => {
    const { client, asked } = provisioning((q) => response(q, true, xml("node", { nodeId: "room" })));
    const policy = new AccessPolicy([], () => undefined, client);
    expect(await policy.authorizeRead("a@example.org/1", question)).toStrictEqual({ allowed: true, nodes: ["room"] });
    expect(await policy.authorizeRead("a@example.org/2", question)).toStrictEqual({ allowed: true, nodes: ["room"] });
    expect(asked).toHaveLength(1);
    await policy.authorizeRead("b@example.org/1", question);
    expect(asked).toHaveLength(2);
    const reply = await client.handleClearCache({ stanza: xml("iq"), child: xml("clearCache"), from: "prov.example.org" });
    expect((reply as Element).toString()).toBe('<clearCacheResponse xmlns="urn:xmpp:iot:provisioning"/>');
    await policy.authorizeRead("a@example.org/1", question);
    expect(asked).toHaveLength(3);
    expect(() => client.handleClearCache({ stanza: xml("iq"), child: xml("clearCache"), from: "a@example.org/1" })).toThrow(/Only the provisioning server/);
  });

  it("denies when the server fails or times out, and does not cache that", async () => {
    const { client, asked } = provisioning(() => Object.assign(new Error("timeout"), { name: "TimeoutError" }));
    const policy = new AccessPolicy(["a@example.org"], () => undefined, client);
    expect(await policy.authorizeRead("a@example.org/1", question)).toStrictEqual({ allowed: false });
    expect(await policy.authorizeSubscription("a@example.org/1")).toBe(false);
    expect(await policy.authorizeRead("a@example.org/1", question)).toStrictEqual({ allowed: false });
    expect(asked.map((q) => q.name)).toStrictEqual(["canRead", "isFriend", "canRead"]);
  });
});
