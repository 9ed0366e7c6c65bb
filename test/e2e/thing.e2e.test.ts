// End to end: a real Prosody on loopback, the test Thing Registry component, thingd started
// through its CLI, and XMPP clients that read it. Needs `prosody` (apt-get install -y prosody).
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import type { ProsodyServer } from "../../scripts/lib/local-prosody.js";
import type { TestRegistry } from "../../scripts/lib/test-registry.js";
import type { AgentProcess } from "../helpers/agent-process.js";
import { NS_DISCOVERY, NS_SENSORDATA } from "../../agent/protocol/ns.js";
import { ClientPool } from "../helpers/clients.js";
import { readoutSensorMap } from "../helpers/sensor-maps.js";
import { startThingStack, tearDown } from "../helpers/thing-stack.js";

const THING = "thing@localhost/gateway";
let server: ProsodyServer;
let registry: TestRegistry;
let agent: AgentProcess;
let dir: string;
let failFlag: string;
const clients = new ClientPool(() => server);
const client = clients.client;

beforeAll(async () => {
  ({ server, registry, agent, dir } = await startThingStack({
    users: ["thing", "owner", "reader", "stranger"],
    tmpPrefix: "thingd-e2e-",
    sensorMap: (s, d) => readoutSensorMap(s, (failFlag = path.join(d, "flaky.fail")), "1s"),
  }));
});

afterAll(() => tearDown({ clients, agent, components: [registry], server, dir }));

describe("thingd against Prosody", () => {
  it("registers with the meta tags and a persisted 32-hex KEY", async () => {
    const reg = await registry.waitForRegistration();
    expect(reg.from).toBe(THING);
    expect(reg.tags.MAN).toStrictEqual({ type: "str", value: "example.com" });
    expect(reg.tags.V).toStrictEqual({ type: "num", value: "1.5" });
    expect(reg.tags.KEY?.value).toMatch(/^[0-9a-f]{32}$/);
    const state = JSON.parse(await readFile(path.join(dir, "state", "thing-state.json"), "utf8"));
    expect(state.key).toBe(reg.tags.KEY?.value);
    expect(state.status).toBe("REGISTERED");
  });

  it("serves a momentary readout with units and decimals as configured", async () => {
    const reader = await client("reader");
    const r = await reader.read(THING, { momentary: "true" }, [xml("node", { nodeId: "room" })]);
    expect(r.reply.attrs.type).toBe("result");
    expect(r.reply.getChild("accepted", NS_SENSORDATA)).toBeDefined();
    expect(r.fields.map((f) => [f.node, f.name, f.value, f.unit])).toStrictEqual([
      ["room", "temperature", "21.40", "°C"],
      ["room", "humidity", "40.3", "%"],
    ]);
    expect(r.fields[0]!.flags.sort()).toStrictEqual(["automaticReadout", "momentary"]);
    expect(r.fields[0]!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("filters by node and field", async () => {
    const reader = await client("reader");
    const r = await reader.read(THING, { momentary: "true" }, [xml("node", { nodeId: "room" }), xml("node", { nodeId: "air" }), xml("field", { name: "pm2_5" })]);
    expect(r.fields.map((f) => `${f.node}/${f.name}/${f.unit}`)).toStrictEqual(["air/pm2_5/µg/m³"]);
  });

  it("reports a failing sensor with <failure> while the others answer", async () => {
    const reader = await client("reader");
    await writeFile(failFlag, "");
    try {
      await agent.waitForLog((l) => l.sensor === "flaky" && l.msg === "sensor read failed");
      const r = await reader.read(THING, { momentary: "true" });
      expect(r.failures).toStrictEqual([{ nodeId: "flaky", message: "simulated failure" }]);
      expect(new Set(r.fields.map((f) => f.node))).toStrictEqual(new Set(["room", "air"]));
      const last = r.messages.at(-1)!.getChildElements()[0]!;
      expect([last.name, last.attrs.done]).toStrictEqual(["failure", "true"]);
    } finally {
      await rm(failFlag, { force: true });
    }
  });

  it("refuses a stranger with forbidden and <rejected>", async () => {
    const stranger = await client("stranger");
    const r = await stranger.read(THING, { seqnr: "42", momentary: "true" });
    expect(r.reply.attrs.type).toBe("error");
    expect(r.reply.getChild("error")!.getChild("forbidden")).toBeDefined();
    expect(r.reply.getChild("rejected", NS_SENSORDATA)?.attrs.seqnr).toBe("42");
    expect(r.messages).toStrictEqual([]);
  });

  it("answers malformed requests with bad-request and unknown nodes with item-not-found", async () => {
    const reader = await client("reader");
    const noSeq = await reader.iq(xml("iq", { type: "get", to: THING }, xml("req", { xmlns: NS_SENSORDATA, momentary: "true" })));
    expect(noSeq.getChild("error")!.getChild("bad-request")).toBeDefined();
    const badBool = await reader.iq(xml("iq", { type: "get", to: THING }, xml("req", { xmlns: NS_SENSORDATA, seqnr: "3", momentary: "maybe" })));
    expect(badBool.getChild("error")!.getChild("bad-request")).toBeDefined();
    expect(badBool.getChild("rejected", NS_SENSORDATA)?.getChildText("error")).toMatch(/xs:boolean/);
    const two = await reader.iq(xml("iq", { type: "get", to: THING }, xml("req", { xmlns: NS_SENSORDATA, seqnr: "4" }), xml("ping", { xmlns: "urn:xmpp:ping" })));
    expect(two.getChild("error")!.getChild("bad-request")).toBeDefined();
    const unknown = await reader.read(THING, { seqnr: "5" }, [xml("node", { nodeId: "cellar" })]);
    expect(unknown.reply.getChild("error")!.getChild("item-not-found")).toBeDefined();
    const unsupported = await reader.iq(xml("iq", { type: "get", to: THING }, xml("query", { xmlns: "urn:example:nope" })));
    expect(unsupported.getChild("error")!.getChild("service-unavailable")).toBeDefined();
  });

  it("answers disco#info, ping and version", async () => {
    const reader = await client("reader");
    const info = await reader.iq(xml("iq", { type: "get", to: THING }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })));
    const features = info.getChild("query")!.getChildren("feature").map((f) => f.attrs.var);
    expect(features).toContain(NS_SENSORDATA);
    expect(features).toContain("urn:xmpp:ping");
    expect(features).not.toContain(NS_DISCOVERY);
    expect(features).not.toContain("urn:xmpp:iot:control"); // no writable node here
    const ping = await reader.iq(xml("iq", { type: "get", to: THING }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    expect(ping.attrs.type).toBe("result");
    const version = await reader.iq(xml("iq", { type: "get", to: THING }, xml("query", { xmlns: "jabber:iq:version" })));
    expect(version.getChild("query")!.getChildText("name")).toBe("thingd");
    expect(version.getChild("query")!.getChildText("os")).toMatch(/\S/); // a reader may know the OS
  });

  it("tells a stranger nothing about its version or OS", async () => {
    const stranger = await client("stranger");
    const version = await stranger.iq(xml("iq", { type: "get", to: THING }, xml("query", { xmlns: "jabber:iq:version" })));
    expect(version.attrs.type).toBe("error");
    expect(version.getChild("error")!.getChild("service-unavailable")).toBeDefined();
    expect(version.toString()).not.toMatch(/thingd|Linux/);
  });

  it("accepts <claimed> only from the registry, then lets the owner read", async () => {
    const owner = await client("owner");
    const before = await owner.read(THING, { momentary: "true" });
    expect(before.reply.getChild("error")!.getChild("forbidden")).toBeDefined();

    const forged = await owner.iq(xml("iq", { type: "set", to: THING }, xml("claimed", { xmlns: NS_DISCOVERY, jid: "owner@localhost" })));
    expect(forged.getChild("error")!.getChild("forbidden")).toBeDefined();

    const reply = await registry.claim(THING, "owner@localhost");
    expect(reply.attrs.type).toBe("result");
    const state = JSON.parse(await readFile(path.join(dir, "state", "thing-state.json"), "utf8"));
    expect([state.status, state.owner]).toStrictEqual(["CLAIMED", "owner@localhost"]);
    const after = await owner.read(THING, { momentary: "true" }, [xml("node", { nodeId: "room" })]);
    expect(after.fields.map((f) => f.value)).toStrictEqual(["21.40", "40.3"]);
  });

  it("reads again after Prosody is killed and restarted", async () => {
    await server.kill();
    await agent.waitForLog((l) => l.msg === "XMPP connection lost", 15_000);
    const onlineBefore = agent.lines.filter((l) => l.msg === "online").length;
    await server.restart();
    await expect.poll(() => agent.lines.filter((l) => l.msg === "online").length, { timeout: 30_000, interval: 200 }).toBeGreaterThan(onlineBefore);
    const reader = await client("reader");
    const r = await reader.read(THING, { momentary: "true" }, [xml("node", { nodeId: "room" })]);
    expect(r.fields.map((f) => f.value)).toStrictEqual(["21.40", "40.3"]);
  });

  it("stops cleanly on SIGTERM: unavailable presence, exit 0", async () => {
    const owner = await client("reader");
    // A configured reader subscribes to the Thing's presence; the Thing approves it.
    // Its presence reaching the reader shows the subscription was approved.
    const available = owner.waitFor((el) => el.name === "presence" && !el.attrs.type && el.attrs.from === THING);
    await owner.conn.entity.send(xml("presence", { type: "subscribe", to: "thing@localhost" }));
    await available;
    const unavailable = owner.waitFor((el) => el.name === "presence" && el.attrs.type === "unavailable" && el.attrs.from === THING, 15_000);
    const code = await agent.stop("SIGTERM");
    expect(code).toBe(0);
    expect(agent.lines.some((l) => l.msg === "stopped")).toBe(true);
    await unavailable;
  });
});
