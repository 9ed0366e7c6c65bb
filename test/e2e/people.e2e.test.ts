// End to end, people: IoT chat from a plain XMPP client, IEEE event subscriptions as
// IoTGateway's SensorClient sends them, XEP-0050 ad-hoc commands, against a real Prosody and
// the real thingd process. Values are injected through the simulated sensor's value_file and
// the poll loop picks them up (no timing luck: every wait is for a stanza, with lower bounds).
import { execFile, spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import type { ProsodyServer } from "../../scripts/lib/local-prosody.js";
import type { TestRegistry } from "../../scripts/lib/test-registry.js";
import type { ReaderClient } from "../../scripts/lib/reader-client.js";
import type { AgentProcess } from "../helpers/agent-process.js";
import { expectNamespaceSupport, fakeGpioTree, type FakeGpioTree } from "../helpers/gpio-namespace.js";
import { localXmppSection } from "../../scripts/lib/sensor-map-yaml.js";
import { ClientPool } from "../helpers/clients.js";
import { stanzaCondition } from "../helpers/stanzas.js";
import { startThingStack, tearDown } from "../helpers/thing-stack.js";
import { buildSubscribe, NS_IEEE_EVENTS, NS_NF_EVENTS } from "../../agent/protocol/events.js";
import { parseIeeeResp } from "../../agent/protocol/ieee-sensordata.js";
import { NS_COMMANDS } from "../../agent/protocol/adhoc.js";
import { NS_XDATA } from "../../agent/protocol/xdata.js";

const THING_BARE = "thing@localhost";
const THING = `${THING_BARE}/gateway`;
const SD = "urn:ieee:iot:sd:1.0";
let server: ProsodyServer;
let registry: TestRegistry;
let agent: AgentProcess;
let dir: string;
let gpio: FakeGpioTree;
const clients = new ClientPool(() => server, { ownResource: true });
const client = clients.client;
const valueFile = () => path.join(dir, "temperature");

function sensorMap(server: ProsodyServer, dir: string, alerts = ALERTS): string {
  return `${localXmppSection(server, { resource: "gateway", passwordFile: "./secret", keepalive: "5s" })}registry:
  jid: registry.localhost
access:
  owner: owner@localhost
  readers: [reader@localhost, limited@localhost]
  controllers: [controller@localhost]
subscriptions:
  per_jid: 3
${alerts}state_dir: ./state
sensors:
  - id: room
    driver: simulated
    every: 200ms
    fields:
      - { name: temperature, unit: "°C", value: 20, decimals: 2, value_file: ${path.join(dir, "temperature")} }
      - { name: humidity, unit: "%", value: 45, decimals: 1 }
  - id: relay1
    driver: gpio-output
    every: 1h
    pin: 17
    field: relay
`;
}

const ALERTS = `alerts:
  - { sensor: room, field: temperature, above: 50, clear_below: 45, to: [owner] }
`;

const chat = (to: string, body: string, type = "chat", extra: Element[] = []) => xml("message", { to, type }, xml("body", {}, body), ...extra);

/** Send a chat line and wait for the answer from the Thing. */
async function ask(c: ReaderClient, body: string, to = THING_BARE): Promise<string> {
  const answer = c.waitFor((el) => el.name === "message" && el.attrs.from?.startsWith(THING_BARE) === true && el.getChild("body") !== undefined);
  await c.conn.entity.send(chat(to, body));
  return (await answer).getChildText("body") ?? "";
}

/** Bodies the Thing sent to `c` since index `from` of its received list. */
function bodiesSince(c: ReaderClient, from: number): string[] {
  return c.received
    .slice(from)
    .filter((el) => el.name === "message" && el.attrs.from?.startsWith(THING_BARE) && el.getChild("body"))
    .map((el) => el.getChildText("body") ?? "");
}

async function setTemperature(v: number): Promise<void> {
  await writeFile(valueFile(), `${v}\n`);
}

function isPush(id: string) {
  return (el: Element) => el.name === "message" && el.getChild("resp", SD)?.attrs.id === id;
}

function temperatureOf(push: Element): string | undefined {
  return parseIeeeResp(push.getChild("resp", SD)!).fields.find((f) => f.name === "temperature")?.value;
}

/** A python3 that has slixmpp (Debian's, even when another python3 is first on PATH). */
function slixmppPython(): string {
  for (const py of ["/usr/bin/python3", "python3"]) {
    if (spawnSync(py, ["-c", "import slixmpp"], { stdio: "ignore" }).status === 0) return py;
  }
  throw new Error("slixmpp is missing: sudo apt-get install -y python3-slixmpp");
}

const ADHOC_CLIENT = fileURLToPath(new URL("../clients/adhoc_client.py", import.meta.url));

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  expectNamespaceSupport();
  ({ server, registry, agent, dir } = await startThingStack({
    users: ["thing", "owner", "reader", "controller", "stranger", "limited"],
    tmpPrefix: "thingd-people-",
    sensorMap,
    prepare: async (d) => {
      await writeFile(path.join(d, "temperature"), "20\n");
      gpio = await fakeGpioTree(d, ["gpio529"]);
      return gpio.wrap;
    },
  }));
}, 60_000);

afterAll(() => tearDown({ clients, agent, components: [registry], server, dir }));

describe("IoT chat from a plain XMPP client", () => {
  it("? reads every node, one line a field", async () => {
    const owner = await client("owner");
    const text = await ask(owner, "?");
    expect(text).toContain("room temperature: *20.00 °C*");
    expect(text).toContain("room humidity: *45.0 %*");
    expect(text).toContain("relay1 relay: *false*");
  });

  it("?? adds identity and status fields; temp? only matching fields; sent to the full JID too", async () => {
    const reader = await client("reader");
    const full = await ask(reader, "??");
    expect(full).toContain("room driver: *simulated*");
    expect(full).toContain("room read_count:");
    const some = await ask(reader, "temp?", THING);
    expect(some.split("\n")).toStrictEqual(["room temperature: *20.00 °C*"]);
    expect(await ask(reader, "nothing-here?")).toBe('Nothing matches "nothing-here". Send ? for every value.');
  });

  it("# and help give the menu; status tells the state; unknown text points at the menu", async () => {
    const reader = await client("reader");
    const menu = await ask(reader, "#");
    expect(menu).toContain("`?` read every sensor now");
    expect(await ask(reader, "help")).toBe(menu);
    const status = await ask(reader, "status");
    expect(status).toContain("XMPP: online as thing@localhost/gateway");
    expect(status).toMatch(/room \(simulated\): read \d+s ago/);
    expect(await ask(reader, "make coffee")).toBe('Unknown command "make coffee". Send # for the menu.');
  });

  it(":= lists parameters; the owner sets relay1.relay:=on through the control path; a reader is refused", async () => {
    const owner = await client("owner");
    expect(await ask(owner, ":=")).toBe("relay1.relay (boolean) = *false*");
    expect(await ask(owner, "relay1.relay:=on")).toBe("relay1.relay = *true*");
    expect(await gpio.read("gpio529", "value")).toBe("1");
    const reader = await client("reader");
    expect(await ask(reader, "relay1.relay:=off")).toBe("Not allowed: only the owner and configured controllers may set parameters.");
    expect(await gpio.read("gpio529", "value")).toBe("1");
    const controller = await client("controller");
    expect(await ask(controller, "relay:=off")).toBe("relay1.relay = *false*");
    expect(await gpio.read("gpio529", "value")).toBe("0");
    expect(await ask(owner, "relay1.relay:=maybe")).toMatch(/^Not set: /);
  });

  it("several lines answer in one message", async () => {
    const owner = await client("owner");
    const text = await ask(owner, "temp?\nhum?");
    expect(text).toBe("room temperature: *20.00 °C*\n\nroom humidity: *45.0 %*");
  });

  it("a stranger gets one short refusal, no values or names, and then silence", async () => {
    const stranger = await client("stranger");
    const text = await ask(stranger, "?");
    expect(text).toBe("Sorry, I only answer people I know.");
    const mark = stranger.received.length;
    await stranger.conn.entity.send(chat(THING_BARE, "?"));
    await stranger.conn.entity.send(chat(THING_BARE, "status"));
    // A marker IQ round trip orders after the two messages: anything the Thing answered came first.
    await stranger.iq(xml("iq", { type: "get", to: THING }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    await pause(300);
    expect(bodiesSince(stranger, mark)).toStrictEqual([]);
  });

  it("no replies to groupchat, error, body-less or headline messages", async () => {
    const owner = await client("owner");
    const mark = owner.received.length;
    await owner.conn.entity.send(chat(THING_BARE, "?", "groupchat"));
    await owner.conn.entity.send(chat(THING_BARE, "?", "headline"));
    await owner.conn.entity.send(xml("message", { to: THING_BARE, type: "chat" }, xml("active", { xmlns: "http://jabber.org/protocol/chatstates" })));
    await owner.conn.entity.send(
      xml(
        "message",
        { to: THING, type: "error" },
        xml("body", {}, "?"),
        xml("error", { type: "cancel" }, xml("service-unavailable", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" })),
      ),
    );
    await owner.iq(xml("iq", { type: "get", to: THING }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    await pause(300);
    expect(bodiesSince(owner, mark)).toStrictEqual([]);
    // Our own account (another resource of it) is never answered: no loops between our sessions.
    const self = await client("thing", "other");
    const selfMark = self.received.length;
    await self.conn.entity.send(chat(THING, "?"));
    await self.iq(xml("iq", { type: "get", to: THING }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    await pause(300);
    expect(bodiesSince(self, selfMark)).toStrictEqual([]);
    await self.stop();
    // Still answering the next real question.
    expect(await ask(owner, "temp?")).toContain("temperature");
  });
});

describe("IEEE event subscriptions", () => {
  it("disco#info advertises events, commands and chat", async () => {
    const reader = await client("reader");
    const info = await reader.iq(xml("iq", { type: "get", to: THING }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })));
    const features = info
      .getChild("query")!
      .getChildren("feature")
      .map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining([NS_IEEE_EVENTS, NS_NF_EVENTS, NS_COMMANDS, "urn:xmpp:iot:chat"]));
  });

  it("accepted, req pushes at once, a change past `by` pushes, a smaller one does not; unsubscribe ends it", async () => {
    await setTemperature(20);
    const reader = await client("reader");
    const first = reader.waitFor(isPush("S1"));
    const reply = await reader.iq(
      xml("iq", { type: "get", to: THING }, buildSubscribe(NS_IEEE_EVENTS, { id: "S1", nodes: ["room"], fields: [{ name: "temperature", by: 1 }], req: true })),
    );
    expect(reply.attrs.type).toBe("result");
    expect(reply.getChild("accepted", SD)?.attrs.id).toBe("S1");
    expect(temperatureOf(await first)).toBe("20.00");
    const mark = reader.received.length;
    await setTemperature(20.5); // below the threshold
    await pause(800); // four polls
    expect(reader.received.slice(mark).filter(isPush("S1"))).toStrictEqual([]);
    const next = reader.waitFor(isPush("S1"));
    await setTemperature(21.6); // 1.6 from the last value sent
    const pushed = await next;
    expect(temperatureOf(pushed)).toBe("21.60");
    // Only the subscribed field of the subscribed node.
    expect(parseIeeeResp(pushed.getChild("resp", SD)!).fields.map((f) => `${f.node}/${f.name}`)).toStrictEqual(["room/temperature"]);
    const un = await reader.iq(xml("iq", { type: "set", to: THING }, xml("unsubscribe", { xmlns: NS_IEEE_EVENTS, id: "S1" })));
    expect(un.attrs.type).toBe("result");
    const after = reader.received.length;
    await setTemperature(25);
    await pause(800);
    expect(reader.received.slice(after).filter(isPush("S1"))).toStrictEqual([]);
    const again = await reader.iq(xml("iq", { type: "set", to: THING }, xml("unsubscribe", { xmlns: NS_IEEE_EVENTS, id: "S1" })));
    expect(stanzaCondition(again)).toBe("item-not-found");
  });

  it("minInt holds a second change back; maxInt sends without change (nf namespace)", async () => {
    await setTemperature(30);
    await pause(500);
    const reader = await client("reader");
    const NF_SD = "urn:nf:iot:sd:1.0";
    const pushes: Array<{ at: number; value: string | undefined }> = [];
    reader.conn.entity.on("stanza", (el: Element) => {
      const resp = el.name === "message" ? el.getChild("resp", NF_SD) : undefined;
      if (resp?.attrs.id === "S2") pushes.push({ at: Date.now(), value: parseIeeeResp(resp).fields.find((f) => f.name === "temperature")?.value });
    });
    const reply = await reader.iq(
      xml(
        "iq",
        { type: "get", to: THING },
        buildSubscribe(NS_NF_EVENTS, { id: "S2", nodes: ["room"], fields: [{ name: "temperature", by: 1 }], minInt: "PT2S", maxInt: "PT4S" }),
      ),
    );
    expect(reply.getChild("accepted", NF_SD)?.attrs.id).toBe("S2");
    const subscribedAt = Date.now();
    await setTemperature(32); // fires: held until minInt (2 s after subscribing) is up
    await setTemperature(32);
    while (pushes.length < 1) await pause(20);
    expect(pushes[0]!.at - subscribedAt).toBeGreaterThanOrEqual(1900);
    expect(pushes[0]!.value).toBe("32.00");
    await setTemperature(34); // fires again at once, held for minInt after the first push
    while (pushes.length < 2) await pause(20);
    expect(pushes[1]!.at - pushes[0]!.at).toBeGreaterThanOrEqual(1900);
    expect(pushes[1]!.value).toBe("34.00");
    // No change: the heartbeat comes maxInt after the last push.
    while (pushes.length < 3) await pause(20);
    expect(pushes[2]!.at - pushes[1]!.at).toBeGreaterThanOrEqual(3900);
    expect(pushes[2]!.value).toBe("34.00");
    await reader.iq(xml("iq", { type: "set", to: THING }, xml("unsubscribe", { xmlns: NS_NF_EVENTS, id: "S2" })));
  }, 20_000);

  it("a subscriber going unavailable gets nothing; coming back it gets the held-back event", async () => {
    await setTemperature(40);
    await pause(500);
    const reader = await client("reader");
    await reader.conn.entity.send(xml("presence", { to: THING })); // directed presence: the Thing learns when we leave
    await reader.iq(
      xml("iq", { type: "get", to: THING }, buildSubscribe(NS_IEEE_EVENTS, { id: "S3", nodes: ["room"], fields: [{ name: "temperature", by: 1 }] })),
    );
    await reader.conn.entity.send(xml("presence", { to: THING, type: "unavailable" }));
    await reader.iq(xml("iq", { type: "get", to: THING }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    const mark = reader.received.length;
    await setTemperature(45);
    await pause(1000);
    expect(reader.received.slice(mark).filter(isPush("S3"))).toStrictEqual([]);
    const held = reader.waitFor(isPush("S3"));
    await reader.conn.entity.send(xml("presence", { to: THING }));
    expect(temperatureOf(await held)).toBe("45.00");
    await reader.iq(xml("iq", { type: "set", to: THING }, xml("unsubscribe", { xmlns: NS_IEEE_EVENTS, id: "S3" })));
  });

  it("a stranger's subscription is forbidden; an unknown node is item-not-found; a bad duration bad-request", async () => {
    const stranger = await client("stranger");
    const r = await stranger.iq(xml("iq", { type: "get", to: THING }, buildSubscribe(NS_IEEE_EVENTS, { id: "X", nodes: ["room"] })));
    expect(stanzaCondition(r)).toBe("forbidden");
    const reader = await client("reader");
    expect(stanzaCondition(await reader.iq(xml("iq", { type: "get", to: THING }, buildSubscribe(NS_IEEE_EVENTS, { id: "Y", nodes: ["cellar"] }))))).toBe(
      "item-not-found",
    );
    expect(stanzaCondition(await reader.iq(xml("iq", { type: "get", to: THING }, buildSubscribe(NS_IEEE_EVENTS, { id: "Z", minInt: "5 seconds" }))))).toBe(
      "bad-request",
    );
  });

  it("limits: the per-subscriber limit answers resource-constraint; replacing an id does not count twice", async () => {
    const limited = await client("limited");
    const sub = (id: string) => limited.iq(xml("iq", { type: "get", to: THING }, buildSubscribe(NS_IEEE_EVENTS, { id, nodes: ["room"], maxInt: "PT1H" })));
    for (const id of ["L1", "L2", "L3", "L3"]) expect((await sub(id)).attrs.type, id).toBe("result");
    const over = await sub("L4");
    expect(stanzaCondition(over)).toBe("resource-constraint");
    expect(over.getChild("error")?.attrs.type).toBe("wait");
  });
});

describe("XEP-0050 ad-hoc commands", () => {
  const cmd = (node: string, attrs: Record<string, string> = {}, ...children: Element[]) =>
    xml("iq", { type: "set", to: THING }, xml("command", { xmlns: NS_COMMANDS, node, ...attrs }, ...children));
  const items = async (c: ReaderClient) =>
    (await c.iq(xml("iq", { type: "get", to: THING }, xml("query", { xmlns: "http://jabber.org/protocol/disco#items", node: NS_COMMANDS }))))
      .getChild("query")!
      .getChildren("item")
      .map((i) => i.attrs.name);

  it("lists commands by who asks: owner all three, reader no Set output, stranger nothing", async () => {
    expect(await items(await client("owner"))).toStrictEqual(["Read sensors", "Set output", "Status"]);
    expect(await items(await client("reader"))).toStrictEqual(["Read sensors", "Status"]);
    expect(await items(await client("stranger"))).toStrictEqual([]);
  });

  it("Read sensors: a form with defaults, submitted as is, gives a table", async () => {
    const reader = await client("reader");
    const first = (await reader.iq(cmd("urn:thingd:cmd:read"))).getChild("command", NS_COMMANDS)!;
    expect(first.attrs.status).toBe("executing");
    const form = first.getChild("x", NS_XDATA)!;
    const submit = xml(
      "x",
      { xmlns: NS_XDATA, type: "submit" },
      ...form.getChildren("field").map((f) => xml("field", { var: f.attrs.var }, ...f.getChildren("value").map((v) => xml("value", {}, v.text())))),
    );
    const done = (await reader.iq(cmd("urn:thingd:cmd:read", { sessionid: first.attrs.sessionid!, action: "complete" }, submit))).getChild(
      "command",
      NS_COMMANDS,
    )!;
    expect(done.attrs.status).toBe("completed");
    const rows = done
      .getChild("x", NS_XDATA)!
      .getChildren("item")
      .map((i) =>
        i
          .getChildren("field")
          .map((f) => f.getChildText("value"))
          .join(" "),
      );
    expect(rows).toContain("room humidity 45.0 %");
    expect(rows.filter((r) => /^relay1 relay (true|false) $/.test(r))).toHaveLength(1);
  });

  it("Status completes in one step; Set output sets for the owner and is forbidden to a reader", async () => {
    const owner = await client("owner");
    const status = (await owner.iq(cmd("urn:thingd:cmd:status"))).getChild("command", NS_COMMANDS)!;
    expect(status.attrs.status).toBe("completed");
    expect(
      status
        .getChild("x", NS_XDATA)!
        .getChildren("field")
        .find((f) => f.attrs.var === "xmpp")
        ?.getChildText("value"),
    ).toMatch(/^online as /);
    const submit = xml(
      "x",
      { xmlns: NS_XDATA, type: "submit" },
      xml("field", { var: "parameter" }, xml("value", {}, "relay1.relay")),
      xml("field", { var: "value" }, xml("value", {}, "on")),
    );
    const set = (await owner.iq(cmd("urn:thingd:cmd:set", { action: "complete" }, submit))).getChild("command", NS_COMMANDS)!;
    expect(set.getChildText("note")).toBe("relay1.relay = true");
    expect(await gpio.read("gpio529", "value")).toBe("1");
    const reader = await client("reader");
    expect(stanzaCondition(await reader.iq(cmd("urn:thingd:cmd:set")))).toBe("forbidden");
    const stranger = await client("stranger");
    expect(stanzaCondition(await stranger.iq(cmd("urn:thingd:cmd:read")))).toBe("forbidden");
    expect(stanzaCondition(await stranger.iq(cmd("urn:thingd:cmd:nope")))).toBe("forbidden");
  });

  it("slixmpp (a client nobody here wrote) lists, runs Status and completes Read sensors with the form's defaults", async () => {
    const py = slixmppPython();
    const port = /:(\d+)$/.exec(server.service)![1]!;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(py, [ADHOC_CLIENT, "reader@localhost/slix", "reader-pw", "127.0.0.1", port, server.caFile, THING], { timeout: 40_000 }, (err, out, errOut) =>
        err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
      ),
    );
    const out = JSON.parse(stdout.trim().split("\n").pop()!) as {
      error?: string;
      commands: string[];
      status: { status: string; fields: Record<string, string> };
      read_form: { status: string; fields: string[] };
      read: { status: string; rows: string[] };
    };
    expect(out.error).toBeUndefined();
    expect([...out.commands].sort()).toStrictEqual(["Read sensors", "Status"]); // slixmpp keeps disco items in a set
    expect(out.status.status).toBe("completed");
    expect(out.status.fields.xmpp).toMatch(/^online as thing@localhost\/gateway$/);
    expect(out.read_form).toStrictEqual({ status: "executing", fields: ["nodes", "kinds"] });
    expect(out.read.status).toBe("completed");
    expect(out.read.rows).toContain("room humidity 45.0 %");
  }, 60_000);
});

describe("alerts to people", () => {
  const alertBody = (el: Element) =>
    el.name === "message" && el.attrs.from?.startsWith(THING_BARE) === true && /^(ALERT|OK again|STILL)/.test(el.getChildText("body") ?? "");

  it("one message when a rule starts to hold, none while it holds, one when it clears below clear_below", async () => {
    const owner = await client("owner");
    await setTemperature(40);
    await pause(500);
    const alert = owner.waitFor(alertBody);
    await setTemperature(55);
    expect((await alert).getChildText("body")).toBe("ALERT room temperature above 50: temperature = 55.00 °C");
    const mark = owner.received.length;
    await setTemperature(47); // below 50 but above clear_below 45: still holds
    await pause(800);
    expect(owner.received.slice(mark).filter(alertBody)).toStrictEqual([]);
    const clear = owner.waitFor(alertBody);
    await setTemperature(44);
    expect((await clear).getChildText("body")).toBe("OK again, room temperature above 50: temperature = 44.00 °C");
  });

  it("SIGHUP reloads the alerts section", async () => {
    const owner = await client("owner");
    const file = path.join(dir, "sensors.yaml");
    const text = await readFile(file, "utf8");
    await writeFile(file, text.replace("above: 50, clear_below: 45", "below: 10"));
    const reloaded = agent.waitForLog((l) => l.msg === "reloaded");
    agent.child.kill("SIGHUP");
    await reloaded;
    const alert = owner.waitFor(alertBody);
    await setTemperature(5);
    expect((await alert).getChildText("body")).toBe("ALERT room temperature below 10: temperature = 5.00 °C");
    await setTemperature(20);
  });
});
