// End to end, the same readout scenarios in both sensor-data dialects (docs/protocol.md §1, §1.8):
// a real Prosody on loopback, the test registry component, thingd from dist/, and a reader
// speaking either XEP-0323 seqnr ('xep') or the IEEE id dialect ('ieee').
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import type { ProsodyServer } from "../../scripts/lib/local-prosody.js";
import type { TestRegistry } from "../../scripts/lib/test-registry.js";
import type { AgentProcess } from "../helpers/agent-process.js";
import type { Dialect, ReadResult } from "../../scripts/lib/reader-client.js";
import { NS_IEEE_SENSORDATA, NS_SENSORDATA } from "../../agent/protocol/ns.js";
import { ClientPool } from "../helpers/clients.js";
import { readoutSensorMap } from "../helpers/sensor-maps.js";
import { startThingStack, tearDown } from "../helpers/thing-stack.js";

const THING = "thing@localhost/gateway";
let server: ProsodyServer;
let registry: TestRegistry;
let agent: AgentProcess;
let dir: string;
let failFlag: string;
const clients = new ClientPool(() => server, { reuse: true });
const client = clients.client;

beforeAll(async () => {
  ({ server, registry, agent, dir } = await startThingStack({
    users: ["thing", "reader", "stranger"],
    tmpPrefix: "thingd-dialects-",
    sensorMap: (s, d) => readoutSensorMap(s, (failFlag = path.join(d, "flaky.fail")), "30s"),
  }));
}, 60_000);

afterAll(() => tearDown({ clients, agent, components: [registry], server, dir }));

const values = (r: ReadResult) => r.fields.map((f) => [f.node, f.name, f.value, f.unit]);
const errorCondition = (r: ReadResult) => r.reply.getChild("error")?.getChildElements()[0]?.name;
/** The data payload names of the messages, e.g. ["started", "fields"] or ["started", "resp"]. */
const payloads = (r: ReadResult) => r.messages.map((m) => m.getChildElements()[0]!.name);
const DATA: Record<Dialect, string> = { xep: "fields", ieee: "resp" };
const NS: Record<Dialect, string> = { xep: NS_SENSORDATA, ieee: NS_IEEE_SENSORDATA };

it("answers a momentary readout with the same values in both dialects", async () => {
  const reader = await client("reader");
  const spec = { types: ["momentary"], nodes: ["room", "flaky"] };
  const xep = await reader.readout(THING, spec, { dialect: "xep" });
  const ieee = await reader.readout(THING, spec, { dialect: "ieee" });
  expect(values(xep)).toStrictEqual([
    ["room", "temperature", "21.40", "°C"],
    ["room", "humidity", "40.3", "%"],
    ["flaky", "pressure", "1013.3", "hPa"],
  ]);
  expect(values(ieee)).toStrictEqual(values(xep));
  expect(xep.fields.map((f) => f.element)).toStrictEqual(["numeric", "numeric", "numeric"]);
  expect(ieee.fields.map((f) => f.element)).toStrictEqual(["q", "q", "q"]);
  expect([...ieee.fields[0]!.flags].sort()).toStrictEqual(["ar", "m"]);
});

it("answers a cached IEEE readout with <resp> inside the IQ result", async () => {
  const reader = await client("reader");
  const r = await reader.readout(THING, { types: ["momentary"], nodes: ["room"] }, { dialect: "ieee" });
  expect(r.reply.getChild("resp", NS_IEEE_SENSORDATA)).toBeDefined();
  expect(r.messages).toStrictEqual([]);
  expect(values(r)).toStrictEqual([
    ["room", "temperature", "21.40", "°C"],
    ["room", "humidity", "40.3", "%"],
  ]);
});

it("answers the older IEEE namespaces in their own namespace", async () => {
  const reader = await client("reader");
  for (const ns of ["urn:ieee:iot:sd", "urn:nfi:iot:sd:1.0"]) {
    const r = await reader.readout(THING, { types: ["momentary"], nodes: ["room"] }, { dialect: "ieee", ns });
    expect(r.reply.attrs.type).toBe("result");
    expect(r.fields.map((f) => f.value)).toStrictEqual(["21.40", "40.3"]);
  }
});

it("lists both sensor-data namespaces in disco#info", async () => {
  const reader = await client("reader");
  const info = await reader.iq(xml("iq", { type: "get", to: THING }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })));
  const features = info.getChild("query")!.getChildren("feature").map((f) => f.attrs.var);
  expect(features).toEqual(expect.arrayContaining([NS_SENSORDATA, NS_IEEE_SENSORDATA]));
});

describe.each<Dialect>(["xep", "ieee"])("the %s dialect", (dialect) => {
  const o = { dialect };

  it("filters by node and field", async () => {
    const reader = await client("reader");
    const r = await reader.readout(THING, { types: ["momentary"], nodes: ["room", "air"], fields: ["pm2_5"] }, o);
    expect(r.fields.map((f) => `${f.node}/${f.name}/${f.unit}`)).toStrictEqual(["air/pm2_5/µg/m³"]);
  });

  it("reports a failing sensor while the others answer", async () => {
    const reader = await client("reader");
    await writeFile(failFlag, "");
    try {
      const failedBefore = agent.lines.filter((l) => l.sensor === "flaky" && String(l.msg).startsWith("sensor read failed")).length;
      await expect
        .poll(() => agent.lines.filter((l) => l.sensor === "flaky" && String(l.msg).startsWith("sensor read failed")).length, { timeout: 5_000 })
        .toBeGreaterThan(failedBefore);
      const r = await reader.readout(THING, { types: ["momentary"] }, o);
      expect(r.reply.attrs.type).toBe("result");
      expect(r.failures).toStrictEqual([{ nodeId: "flaky", message: "simulated failure" }]);
      expect(new Set(r.fields.map((f) => f.node))).toStrictEqual(new Set(["room", "air"]));
      if (dialect === "ieee") expect(payloads(r)).toStrictEqual(["resp"]); // one <resp>: fields, then <err>
      else expect(payloads(r).at(-1)).toBe("failure");
    } finally {
      await rm(failFlag, { force: true });
    }
  });

  it("refuses a stranger with forbidden", async () => {
    const stranger = await client("stranger");
    const r = await stranger.readout(THING, { id: "42", types: ["momentary"] }, o);
    expect(r.reply.attrs.type).toBe("error");
    expect(errorCondition(r)).toBe("forbidden");
    // <rejected> beside the error for seqnr clients (§1.6); stanza errors only in the IEEE dialect.
    expect(r.reply.getChild("rejected", NS[dialect]) !== undefined).toBe(dialect === "xep");
    expect(r.messages).toStrictEqual([]);
  });

  it("answers an unknown node with item-not-found", async () => {
    const reader = await client("reader");
    const r = await reader.readout(THING, { nodes: ["cellar"] }, o);
    expect(r.reply.attrs.type).toBe("error");
    expect(errorCondition(r)).toBe("item-not-found");
  });

  it("queues a readout for a future `when`: accepted queued, started, then data", async () => {
    const reader = await client("reader");
    const when = new Date(Date.now() + 1_500).toISOString();
    const t0 = Date.now();
    const r = await reader.readout(THING, { types: ["momentary"], nodes: ["room"], when }, o, 10_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(r.reply.getChild("accepted", NS[dialect])?.attrs.queued).toBe("true");
    expect(payloads(r)).toStrictEqual(["started", DATA[dialect]]);
    expect(values(r)).toStrictEqual([
      ["room", "temperature", "21.40", "°C"],
      ["room", "humidity", "40.3", "%"],
    ]);
  });

  it("runs a `when` in the past now, without queueing", async () => {
    const reader = await client("reader");
    const r = await reader.readout(THING, { types: ["momentary"], nodes: ["room"], when: "2020-01-01T00:00:00Z" }, o);
    expect(r.reply.getChild("accepted", NS[dialect])?.attrs.queued).toBeUndefined();
    expect(payloads(r)).not.toContain("started");
    expect(r.fields).toHaveLength(2);
  });

  it("cancels a queued readout: nothing is sent for it afterwards", async () => {
    const reader = await client("reader");
    const id = `c-${dialect}`.replace("c-xep", "7001");
    const when = new Date(Date.now() + 1_000).toISOString();
    const accepted = await reader.request(THING, { id, types: ["momentary"], when }, o);
    expect(accepted.getChild("accepted", NS[dialect])?.attrs.queued).toBe("true");
    const cancelled = await reader.cancel(THING, id, o);
    expect(cancelled.attrs.type).toBe("result");
    if (dialect === "xep") expect(cancelled.getChild("cancelled", NS_SENSORDATA)?.attrs.seqnr).toBe(id);
    else expect(cancelled.getChildElements()).toStrictEqual([]);
    const mark = reader.received.length;
    await new Promise((r) => setTimeout(r, 2_000));
    const forId = reader.received
      .slice(mark)
      .filter((el) => el.name === "message" && el.getChildElements().some((c) => c.attrs.seqnr === id || c.attrs.id === id));
    expect(forId).toStrictEqual([]);
    const again = await reader.cancel(THING, id, o);
    expect(again.getChild("error")?.getChildElements()[0]?.name).toBe("item-not-found");
  });

  it("sends identity and status fields only when asked", async () => {
    const reader = await client("reader");
    const momentary = await reader.readout(THING, { types: ["momentary"], nodes: ["room"] }, o);
    expect(momentary.fields.map((f) => f.name)).toStrictEqual(["temperature", "humidity"]);
    const info = await reader.readout(THING, { types: ["identity", "status"], nodes: ["room"] }, o);
    const byName = Object.fromEntries(info.fields.map((f) => [f.name, f]));
    expect(Object.keys(byName)).toEqual(expect.arrayContaining(["driver", "thingd_version", "uptime", "read_count", "error_count", "last_error"]));
    expect(byName.temperature).toBeUndefined();
    expect(byName.driver!.value).toBe("simulated");
    expect(Number(byName.read_count!.value)).toBeGreaterThanOrEqual(1);
    expect(byName.uptime!.value).toMatch(/^P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/);
    // Native int/duration in the IEEE dialect; slixmpp-safe compat forms in the seqnr dialect (§6.1).
    expect([byName.read_count!.element, byName.uptime!.element]).toStrictEqual(dialect === "ieee" ? ["i", "dr"] : ["numeric", "timeSpan"]);
    expect(byName.driver!.flags).toContain(dialect === "ieee" ? "i" : "identity");
    expect(byName.uptime!.flags).toContain(dialect === "ieee" ? "s" : "status");
  });
});
