// End to end, XEP-0325 control: a real Prosody, the test registry component, and the real thingd
// process with two gpio-output relays, GPIO through test/helpers/gpio-namespace.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import type { ProsodyServer } from "../../scripts/lib/local-prosody.js";
import type { TestRegistry } from "../../scripts/lib/test-registry.js";
import type { AgentProcess } from "../helpers/agent-process.js";
import { expectNamespaceSupport, fakeGpioTree, type FakeGpioTree } from "../helpers/gpio-namespace.js";
import { localXmppSection } from "../../scripts/lib/sensor-map-yaml.js";
import { NS_CONTROL } from "../../agent/protocol/ns.js";
import { ClientPool } from "../helpers/clients.js";
import { stanzaCondition } from "../helpers/stanzas.js";
import { startThingStack, tearDown } from "../helpers/thing-stack.js";

const THING = "thing@localhost/gateway";
// BCM 17 and 27 on a gpiochip at base 512 (Pi 4, kernel 6.6+) → gpio529 and gpio539.
const LINES = { relay1: "gpio529", relay2: "gpio539" } as const;
let server: ProsodyServer;
let registry: TestRegistry;
let agent: AgentProcess;
let dir: string;
const clients = new ClientPool(() => server, { reuse: true });
const client = clients.client;

let gpio: FakeGpioTree;
const sysfs = (node: keyof typeof LINES, file = "value") => gpio.read(LINES[node], file);

function sensorMap(server: ProsodyServer): string {
  return `${localXmppSection(server, { resource: "gateway", passwordFile: "./secret", keepalive: "5s" })}registry:
  jid: registry.localhost
access:
  owner: owner@localhost
  readers: [reader@localhost]
  controllers: [controller@localhost]
state_dir: ./state
sensors:
  - id: relay1
    driver: gpio-output
    every: 1h
    pin: 17
    active_low: true
    field: relay
  - id: relay2
    driver: gpio-output
    every: 1h
    pin: 27
    safe_state: "on"
    field: relay
  - id: room
    driver: simulated
    every: 1s
    fields:
      - { name: temperature, unit: "°C", value: 21.4, decimals: 2 }
`;
}


const set = (to: string, ...children: Element[]) => xml("iq", { type: "set", to }, xml("set", { xmlns: NS_CONTROL, "xml:lang": "en" }, ...children));
const node = (nodeId: string) => xml("node", { nodeId });
const bool = (name: string, value: string) => xml("boolean", { name, value });

/** [condition, setResponse code, paramError var] of an error reply. */
function errorOf(reply: Element): [string | undefined, string | undefined, string | undefined] {
  expect(reply.attrs.type).toBe("error");
  const error = reply.getChild("error")!;
  return [stanzaCondition(reply), reply.getChild("setResponse", NS_CONTROL)?.attrs.responseCode, error.getChild("paramError", NS_CONTROL)?.attrs.var];
}

beforeAll(async () => {
  // Requirements are checked, not assumed: a missing one FAILS with the reason.
  expectNamespaceSupport();
  ({ server, registry, agent, dir } = await startThingStack({
    users: ["thing", "owner", "controller", "reader", "stranger"],
    tmpPrefix: "thingd-control-",
    sensorMap,
    prepare: async (dir) => {
      gpio = await fakeGpioTree(dir, Object.values(LINES));
      return gpio.wrap;
    },
  }));
}, 60_000);

afterAll(() => tearDown({ clients, agent, components: [registry], server, dir }));

describe("XEP-0325 control against Prosody", () => {
  it("exports the relays at their initial state; disco#info advertises control", async () => {
    expect([await sysfs("relay1", "direction"), await sysfs("relay1", "active_low"), await sysfs("relay1")]).toStrictEqual(["high", "1", "0"]);
    expect([await sysfs("relay2", "direction"), await sysfs("relay2")]).toStrictEqual(["low", "0"]);
    const reader = await client("reader");
    const info = await reader.iq(xml("iq", { type: "get", to: THING }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })));
    expect(info.getChild("query")!.getChildren("feature").map((f) => f.attrs.var)).toContain(NS_CONTROL);
  });

  it("the owner switches a relay: setResponse OK, the line changes, the next readout shows it writable", async () => {
    const owner = await client("owner");
    const reply = await owner.iq(set(THING, node("relay1"), bool("relay", "true")));
    expect(reply.attrs.type).toBe("result");
    expect(reply.getChild("setResponse", NS_CONTROL)?.attrs.responseCode).toBe("OK");
    expect(await sysfs("relay1")).toBe("1");
    expect(await sysfs("relay2")).toBe("0");
    const r = await owner.read(THING, { momentary: "true" }, [node("relay1")]);
    expect(r.fields.map((f) => [f.node, f.name, f.element, f.value])).toStrictEqual([["relay1", "relay", "boolean", "true"]]);
    expect(r.fields[0]!.flags.filter((f) => f !== "value").sort()).toStrictEqual(["automaticReadout", "momentary", "writable"]);
    const room = await owner.read(THING, { momentary: "true" }, [node("room")]);
    expect(room.fields[0]!.flags).not.toContain("writable");
  });

  it("a configured controller may switch; a reader and a stranger get forbidden and change nothing", async () => {
    const controller = await client("controller");
    expect((await controller.iq(set(THING, node("relay1"), bool("relay", "false")))).attrs.type).toBe("result");
    expect(await sysfs("relay1")).toBe("0");
    for (const user of ["reader", "stranger"]) {
      const c = await client(user);
      const reply = await c.iq(set(THING, node("relay1"), bool("relay", "true")));
      expect(errorOf(reply), user).toStrictEqual(["forbidden", "InsufficientPrivileges", undefined]);
      // Unknown nodes are not revealed to them either.
      expect(errorOf(await c.iq(set(THING, node("cellar"), bool("relay", "true"))))[0]).toBe("forbidden");
    }
    expect(await sysfs("relay1")).toBe("0");
  });

  it("unknown parameter, wrong type, bad value and unknown node: the right errors, nothing applied", async () => {
    const owner = await client("owner");
    expect(errorOf(await owner.iq(set(THING, node("relay1"), bool("Relay", "true"))))).toStrictEqual(["item-not-found", "NotFound", "Relay"]);
    expect(errorOf(await owner.iq(set(THING, node("room"), bool("relay", "true"))))).toStrictEqual(["item-not-found", "NotFound", "relay"]);
    expect(errorOf(await owner.iq(set(THING, node("relay1"), xml("int", { name: "relay", value: "1" }))))).toStrictEqual(["bad-request", "FormError", "relay"]);
    expect(errorOf(await owner.iq(set(THING, node("relay1"), bool("relay", "maybe"))))).toStrictEqual(["bad-request", "FormError", "relay"]);
    expect(errorOf(await owner.iq(set(THING, node("cellar"), bool("relay", "true"))))).toStrictEqual(["item-not-found", "NotFound", undefined]);
    // Every parameter is checked before the first write: the valid first one is not applied.
    const mixed = await owner.iq(set(THING, node("relay1"), bool("relay", "true"), bool("relay", "2")));
    expect(errorOf(mixed)).toStrictEqual(["bad-request", "FormError", "relay"]);
    expect(mixed.getChild("error")!.getChild("paramError", NS_CONTROL)!.text()).toMatch(/expected xs:boolean/);
    expect(errorOf(await owner.iq(set(THING, xml("x", { xmlns: "jabber:x:data", type: "submit" }))))).toStrictEqual(["feature-not-implemented", "NotImplemented", undefined]);
    expect([await sysfs("relay1"), await sysfs("relay2")]).toStrictEqual(["0", "0"]);
  });

  it("parameters apply in document order; without <node> every node having the parameter is set", async () => {
    const owner = await client("owner");
    expect((await owner.iq(set(THING, node("relay2"), bool("relay", "true"), bool("relay", "false")))).attrs.type).toBe("result");
    expect(await sysfs("relay2")).toBe("0");
    expect((await owner.iq(set(THING, bool("relay", "true")))).attrs.type).toBe("result");
    expect([await sysfs("relay1"), await sysfs("relay2")]).toStrictEqual(["1", "1"]);
    expect((await owner.iq(set(THING, bool("relay", "0")))).attrs.type).toBe("result");
    expect([await sysfs("relay1"), await sysfs("relay2")]).toStrictEqual(["0", "0"]);
    expect(errorOf(await owner.iq(set(THING, bool("pump", "true"))))).toStrictEqual(["item-not-found", "NotFound", "pump"]);
  });

  it("a <set> in a message is applied without any reply, errors included", async () => {
    const owner = await client("owner");
    const anything = owner.waitFor((el) => el.attrs.from === THING && (el.name === "message" || el.name === "iq"), 1_500).then(
      (el) => el.toString(),
      () => "nothing",
    );
    await owner.conn.entity.send(xml("message", { to: THING }, xml("set", { xmlns: NS_CONTROL }, node("relay2"), bool("relay", "true"))));
    await owner.conn.entity.send(xml("message", { to: THING }, xml("set", { xmlns: NS_CONTROL }, node("relay2"), bool("nope", "true"))));
    await expect.poll(() => sysfs("relay2"), { timeout: 5_000, interval: 50 }).toBe("1");
    expect(await anything).toBe("nothing");
    // A stranger's message is ignored silently too.
    const stranger = await client("stranger");
    await stranger.conn.entity.send(xml("message", { to: THING }, xml("set", { xmlns: NS_CONTROL }, node("relay1"), bool("relay", "true"))));
    await agent.waitForLog((l) => l.msg === "control message refused" && l.condition === "forbidden");
    expect(await sysfs("relay1")).toBe("0");
  });

  it("getForm gets feature-not-implemented with setResponse NotImplemented", async () => {
    const owner = await client("owner");
    const reply = await owner.iq(xml("iq", { type: "get", to: THING }, xml("getForm", { xmlns: NS_CONTROL, "xml:lang": "en" }, node("relay1"))));
    expect(errorOf(reply)).toStrictEqual(["feature-not-implemented", "NotImplemented", undefined]);
  });

  it("on SIGTERM every output goes to its safe state", async () => {
    const owner = await client("owner");
    // Every parameter of a <set> applies to every <node> of it, so two requests.
    expect((await owner.iq(set(THING, node("relay1"), bool("relay", "true")))).attrs.type).toBe("result");
    expect((await owner.iq(set(THING, node("relay2"), bool("relay", "false")))).attrs.type).toBe("result");
    expect([await sysfs("relay1"), await sysfs("relay2")]).toStrictEqual(["1", "0"]);
    expect(await agent.stop("SIGTERM")).toBe(0);
    // relay1: safe_state off (default); relay2: safe_state on.
    expect([await sysfs("relay1"), await sysfs("relay2")]).toStrictEqual(["0", "1"]);
  });
});
