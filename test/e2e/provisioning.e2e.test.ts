// End to end, XEP-0324 provisioning (docs/protocol.md §3.1) with `provisioning.jid` configured:
// the owner reads without a question; others are allowed, refused or narrowed by canRead;
// answers are cached until the server sends clearCache; no answer in time is a deny; presence
// subscriptions ask isFriend; friend/unfriend and clearCache are obeyed only from the server.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { startRegistry, type TestRegistry } from "../../scripts/lib/test-registry.js";
import { NS_PROVISIONING, startProvisioning, type TestProvisioning } from "../../scripts/lib/test-provisioning.js";
import { localXmppSection } from "../../scripts/lib/sensor-map-yaml.js";
import { runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { ClientPool } from "../helpers/clients.js";
import { tearDown } from "../helpers/thing-stack.js";

const THING = "thing@localhost/gateway";
const USERS = ["thing", "owner", "reader", "narrow", "stranger", "slow", "friend", "pal"];
let server: ProsodyServer;
let registry: TestRegistry;
let prov: TestProvisioning;
let agent: AgentProcess;
let dir: string;
const clients = new ClientPool(() => server, { ownResource: true, roster: true });
const client = clients.client;

const asked = (name: string, jid: string) => prov.questions.filter((q) => q.name === name && q.jid === jid).length;
const forbidden = (reply: Element) => reply.attrs.type === "error" && reply.getChild("error")?.getChild("forbidden") !== undefined;

beforeAll(async () => {
  server = await startProsody({
    users: USERS.map((u) => ({ user: u, password: `${u}-pw` })),
    components: [
      { domain: "registry.localhost", secret: "registry-secret" },
      { domain: "provisioning.localhost", secret: "prov-secret" },
    ],
  });
  registry = await startRegistry(server, { domain: "registry.localhost" });
  prov = await startProvisioning(server, { domain: "provisioning.localhost" });
  prov.decide = (q) => {
    const user = q.jid.split("@")[0];
    if (q.name === "isFriend") return { result: user === "friend" || user === "pal" };
    if (user === "reader") return { result: true };
    if (user === "narrow") return { result: true, nodes: ["room"], names: ["temperature"] };
    if (user === "slow") return "silent";
    return { result: false };
  };
  dir = await mkdtemp(path.join(tmpdir(), "thingd-prov-"));
  await writeFile(
    path.join(dir, "sensors.yaml"),
    `${localXmppSection(server, { resource: "gateway" })}registry:
  jid: registry.localhost
  meta: { MAN: example.com }
access:
  readers: [stranger@localhost]
provisioning:
  jid: provisioning.localhost
  timeout: 1s
state_dir: ./state
sensors:
  - id: room
    driver: simulated
    every: 1s
    fields:
      - { name: temperature, unit: "°C", value: 21.4, decimals: 2 }
      - { name: humidity, unit: "%", value: 40.25, decimals: 1 }
  - { id: air, driver: simulated, every: 1s, fields: [{ name: pm2_5, unit: "µg/m³", value: 7, decimals: 0 }] }
`,
  );
  agent = runThingd(["run", "-c", path.join(dir, "sensors.yaml"), "--log-level", "debug"]);
  await agent.waitForLog((l) => l.msg === "registered with the Thing Registry", 30_000);
});

afterAll(() => tearDown({ clients, agent, components: [prov, registry], server, dir }));

describe("XEP-0324 provisioning against Prosody", () => {
  it("asks canRead with the requester's bare JID and the request, and serves an allowed reader", async () => {
    const reader = await client("reader");
    const r = await reader.read(THING, { momentary: "true" }, [xml("node", { nodeId: "room" })]);
    expect(r.reply.attrs.type).toBe("result");
    expect(r.fields.map((f) => `${f.node}/${f.name}`)).toStrictEqual(["room/temperature", "room/humidity"]);
    const q = await prov.waitForQuestion((x) => x.name === "canRead" && x.jid === "reader@localhost");
    expect([q.from, q.nodes, q.element.attrs.momentary]).toStrictEqual([THING, ["room"], "true"]);
  });

  it("answers the same question from the cache", async () => {
    const reader = clients.all[0]!;
    const before = asked("canRead", "reader@localhost");
    const r = await reader.read(THING, { momentary: "true" }, [xml("node", { nodeId: "room" })]);
    expect(r.reply.attrs.type).toBe("result");
    expect(asked("canRead", "reader@localhost")).toBe(before);
  });

  it("refuses when the server says no, even a configured reader (provisioning replaces the local list)", async () => {
    const stranger = await client("stranger");
    const r = await stranger.read(THING, { seqnr: "9", momentary: "true" });
    expect(forbidden(r.reply)).toBe(true);
    expect(asked("canRead", "stranger@localhost")).toBe(1);
    expect(r.messages).toStrictEqual([]);
  });

  it("reads only the nodes and fields the server allows", async () => {
    const narrow = await client("narrow");
    const all = await narrow.read(THING, { momentary: "true" });
    expect(all.fields.map((f) => `${f.node}/${f.name}`)).toStrictEqual(["room/temperature"]);
    const other = await narrow.read(THING, { momentary: "true" }, [xml("node", { nodeId: "air" })]);
    expect(forbidden(other.reply)).toBe(true);
  });

  it("counts no answer within the timeout as a deny, and asks again next time", async () => {
    const slow = await client("slow");
    const started = Date.now();
    const r = await slow.read(THING, { momentary: "true" });
    expect(forbidden(r.reply)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await slow.read(THING, { momentary: "true" });
    expect(asked("canRead", "slow@localhost")).toBe(2);
  });

  it("empties the cache on clearCache from the server only", async () => {
    const stranger = clients.first("stranger");
    const forged = await stranger.iq(xml("iq", { type: "set", to: THING }, xml("clearCache", { xmlns: NS_PROVISIONING })));
    expect(forbidden(forged)).toBe(true);

    const reply = await prov.clearCache(THING);
    expect(reply.attrs.type).toBe("result");
    expect(reply.getChild("clearCacheResponse", NS_PROVISIONING)).toBeDefined();
    const before = asked("canRead", "reader@localhost");
    await clients.all[0]!.read(THING, { momentary: "true" }, [xml("node", { nodeId: "room" })]);
    expect(asked("canRead", "reader@localhost")).toBe(before + 1);
  });

  it("lets the owner read without asking the server", async () => {
    expect((await registry.claim(THING, "owner@localhost")).attrs.type).toBe("result");
    const owner = await client("owner");
    const r = await owner.read(THING, { momentary: "true" });
    expect(r.fields.map((f) => `${f.node}/${f.name}`)).toStrictEqual(["room/temperature", "room/humidity", "air/pm2_5"]);
    expect(prov.questions.filter((q) => q.jid === "owner@localhost")).toStrictEqual([]);
  });

  it("answers presence subscriptions with isFriend", async () => {
    const friend = await client("friend");
    const approved = friend.waitFor((el) => el.name === "presence" && el.attrs.type === "subscribed" && el.attrs.from === "thing@localhost");
    await friend.conn.entity.send(xml("presence", { type: "subscribe", to: "thing@localhost" }));
    await approved;
    const stranger = clients.first("stranger");
    const refused = stranger.waitFor((el) => el.name === "presence" && el.attrs.type === "unsubscribed" && el.attrs.from === "thing@localhost");
    await stranger.conn.entity.send(xml("presence", { type: "subscribe", to: "thing@localhost" }));
    await refused;
    expect([asked("isFriend", "friend@localhost"), asked("isFriend", "stranger@localhost")]).toStrictEqual([1, 1]);
  });

  it("befriends on <friend/> from the server (after isFriend) and ignores it from anyone else", async () => {
    const pal = await client("pal");
    const stranger = clients.first("stranger");
    // A forged notice: no isFriend question, no subscription.
    await stranger.conn.entity.send(xml("message", { to: THING }, xml("friend", { xmlns: NS_PROVISIONING, jid: "stranger@localhost" })));
    await agent.waitForLog((l) => l.msg === "ignored a friendship notice not sent by the provisioning server");

    const subscribe = pal.waitFor((el) => el.name === "presence" && el.attrs.type === "subscribe" && el.attrs.from === "thing@localhost");
    await prov.notify(THING, "friend", "pal@localhost");
    await subscribe;
    expect(asked("isFriend", "pal@localhost")).toBe(1);
    expect(asked("isFriend", "stranger@localhost")).toBe(1);
  });

  it("removes the contact from the roster on <unfriend/> from the server", async () => {
    const pal = clients.first("pal");
    // pal approves the Thing's subscription, so the Thing has pal in its roster.
    await pal.conn.entity.send(xml("presence", { type: "subscribed", to: "thing@localhost" }));
    // The server handles a session's stanzas in order: once it answers a ping, the approval is in.
    await pal.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    const unsubscribe = pal.waitFor((el) => el.name === "presence" && el.attrs.type === "unsubscribe" && el.attrs.from === "thing@localhost");
    await prov.notify(THING, "unfriend", "pal@localhost");
    await unsubscribe;
    await agent.waitForLog((l) => l.msg === "provisioning server changed a friendship" && l.kind === "unfriend");
  });
});
