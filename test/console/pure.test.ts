// The console's pure parts, in Node: iotdisco: parsing and <mine/>, the ws:// policy, history
// series and CSV, seqnr-dialect readout messages and IEEE pushes, the registry's list of our
// Things and <disown/>, registry discovery, the status panel's fields.
import { xml } from "@xmpp/xml";
import { expect, it } from "vitest";
import { buildIotDiscoUri } from "../../agent/protocol/iotdisco.js";
import { buildMineIq, parseIotDiscoUri } from "../../console/src/claim.js";
import { historyRequest, toCsv, toSeries } from "../../console/src/history.js";
import { parseEventMessage, parseReadoutMessage, type ReadField } from "../../console/src/readout.js";
import { webSocketUrlProblem } from "../../console/src/url-policy.js";
import { buildDisownIq, buildOwnedListIq, NS_COMMANDS, parseOwnedList } from "../../console/src/registry.js";
import { formatUptime, isInfoField, parseXsDuration, thingStatus } from "../../console/src/status.js";
import { isRegistryInfo, parseDiscoItems } from "../../agent/protocol/disco.js";

it("parses the iotdisco: URI the Thing prints back into its tags and registry", () => {
  const uri = buildIotDiscoUri({ MAN: "example.org", MODEL: "a;b=c#d", KEY: "s3cr3t", V: 1.5 }, "registry.localhost");
  const d = parseIotDiscoUri(uri);
  expect(d).toStrictEqual({ str: { MAN: "example.org", MODEL: "a;b=c#d", KEY: "s3cr3t" }, num: { V: "1.5" }, registry: "registry.localhost" });
  const mine = buildMineIq("registry.localhost", d).getChild("mine", "urn:xmpp:iot:discovery")!;
  expect(mine.getChildren("str").map((s) => `${s.attrs.name}=${s.attrs.value}`)).toStrictEqual(["MAN=example.org", "MODEL=a;b=c#d", "KEY=s3cr3t"]);
  expect(mine.getChild("num")?.attrs).toStrictEqual({ name: "V", value: "1.5" });
  expect(() => parseIotDiscoUri("https://example.org")).toThrow(/not an iotdisco/);
  expect(() => parseIotDiscoUri("iotdisco:R=x")).toThrow(/no tags/);
});

it("allows wss:// anywhere and ws:// only on loopback", () => {
  expect(webSocketUrlProblem("wss://example.org/xmpp-websocket")).toBeNull();
  expect(webSocketUrlProblem("ws://127.0.0.1:5280/xmpp-websocket")).toBeNull();
  expect(webSocketUrlProblem("ws://localhost/x")).toBeNull();
  expect(webSocketUrlProblem("ws://example.org/x")).toMatch(/only allowed to localhost/);
  expect(webSocketUrlProblem("http://example.org/")).toMatch(/unsupported scheme/);
  expect(webSocketUrlProblem("nonsense")).toMatch(/not a URL/);
});

it("turns bucketed history into mean and min/max, and writes the CSV it shows", () => {
  const req = historyRequest("day", "room", "temperature", Date.parse("2026-12-02T12:00:00Z"));
  expect(req.types).toStrictEqual(["historicalMinute"]);
  expect(req.fields).toStrictEqual(["temperature", "temperature, min", "temperature, max"]);
  expect(req.from?.toISOString()).toBe("2026-12-01T12:00:00.000Z");
  const f = (name: string, value: string, t: string) => ({ node: "room", time: Date.parse(t), name, value, unit: "°C", kind: "numeric", flags: ["historicalMinute"], writable: false });
  const s = toSeries([f("temperature, max", "22", "2026-12-02T11:01:00Z"), f("temperature", "21", "2026-12-02T11:01:00Z"), f("temperature, min", "20", "2026-12-02T11:01:00Z"), f("temperature", "20.5", "2026-12-02T11:00:00Z")], "day", "temperature");
  expect(s.t).toStrictEqual([Date.parse("2026-12-02T11:00:00Z") / 1000, Date.parse("2026-12-02T11:01:00Z") / 1000]);
  expect([s.v, s.min, s.max, s.hasBand]).toStrictEqual([[20.5, 21], [null, 20], [null, 22], true]);
  expect(toCsv(s)).toBe("time,temperature (°C),temperature min (°C),temperature max (°C)\n2026-12-02T11:00:00.000Z,20.5,,\n2026-12-02T11:01:00.000Z,21,20,22\n");
});

it("reads seqnr-dialect messages and IEEE pushes into the same records", () => {
  const msg = xml(
    "message",
    {},
    xml("fields", { xmlns: "urn:xmpp:iot:sensordata", seqnr: "7", done: "true" },
      xml("node", { nodeId: "relay1" }, xml("timestamp", { value: "2026-12-02T12:00:00Z" }, xml("boolean", { name: "relay", value: "true", momentary: "true", writable: "true" })))),
  );
  expect(parseReadoutMessage(msg, "8")).toBeNull();
  const part = parseReadoutMessage(msg, "7")!;
  expect(part.done).toBe(true);
  expect(part.fields[0]).toMatchObject({ node: "relay1", name: "relay", value: "true", kind: "boolean", writable: true, time: Date.parse("2026-12-02T12:00:00Z") });
  const push = xml(
    "message",
    {},
    xml("resp", { xmlns: "urn:ieee:iot:sd:1.0", id: "e1" },
      xml("nd", { id: "room" }, xml("ts", { v: "2026-12-02T12:00:01Z" }, xml("q", { n: "temperature", m: "true", v: "21.5", u: "°C" }), xml("b", { n: "relay", ctr: "true", m: "true", v: "false" })))),
  );
  const ev = parseEventMessage(push, "e1")!;
  expect(ev.fields.map((x) => [x.name, x.kind, x.value, x.unit, x.writable, x.flags.includes("momentary")])).toStrictEqual([
    ["temperature", "numeric", "21.5", "°C", false, true],
    ["relay", "boolean", "false", undefined, true, true],
  ]);
});

it("reads the registry's list of our Things from its My things result form, and builds <disown/>", () => {
  const row = (jid: string, node: string, summary: string) =>
    xml("item", {}, xml("field", { var: "jid" }, xml("value", {}, jid)), xml("field", { var: "node" }, xml("value", {}, node)), xml("field", { var: "summary" }, xml("value", {}, summary)));
  const reply = xml(
    "iq",
    { type: "result" },
    xml(
      "command",
      { xmlns: NS_COMMANDS, node: "list", sessionid: "s1", status: "completed" },
      xml("note", {}, "Your Things (3): …"),
      xml("x", { xmlns: "jabber:x:data", type: "result" }, xml("reported", {}), row("a@x", "", "a@x (MAN m)"), row("b@x", "", ""), row("c@x", "n1", "c@x node n1")),
    ),
  );
  // Nodes behind a concentrator are not Things of their own in the console; a row without a
  // summary is labelled with its JID.
  expect(parseOwnedList(reply)).toStrictEqual([
    { jid: "a@x", label: "a@x (MAN m)" },
    { jid: "b@x", label: "b@x" },
  ]);
  expect(() => parseOwnedList(xml("iq", { type: "result" }, xml("command", { xmlns: NS_COMMANDS, status: "completed" }, xml("note", {}, "text only"))))).toThrow(/no result form/);
  expect(() => parseOwnedList(xml("iq", { type: "error" }))).toThrow(/^claims only: it has no "My things" command, so the Things listed are your contacts$/);
  expect(buildOwnedListIq("r.x").getChild("command", NS_COMMANDS)?.attrs).toMatchObject({ node: "list", action: "execute" });
  expect(buildDisownIq("r.x", "a@x").toString()).toBe('<iq type="set" to="r.x"><disown xmlns="urn:xmpp:iot:discovery" jid="a@x"/></iq>');
});

it("finds a Thing Registry in disco results", () => {
  const items = xml("iq", { type: "result" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#items" }, xml("item", { jid: "upload.x" }), xml("item", { jid: "registry.x" }), xml("item", {})));
  expect(parseDiscoItems(items)).toStrictEqual(["upload.x", "registry.x"]);
  const info = (f: string) => xml("iq", { type: "result" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }, xml("feature", { var: f })));
  expect(isRegistryInfo(info("urn:xmpp:iot:discovery"))).toBe(true);
  expect(isRegistryInfo(info("urn:ieee:iot:disco:1.0"))).toBe(true);
  expect(isRegistryInfo(info("urn:xmpp:http:upload:0"))).toBe(false);
});

it("turns thingd's status and identity fields into the status panel, apart from the values", () => {
  expect([parseXsDuration("P1DT2H3M4S"), parseXsDuration("PT0S"), parseXsDuration("PT90.5S"), parseXsDuration("-PT1M"), parseXsDuration("P"), parseXsDuration("PT"), parseXsDuration("5")]).toStrictEqual([93784, 0, 90.5, -60, undefined, undefined, undefined]);
  expect([formatUptime(93784), formatUptime(7500), formatUptime(250), formatUptime(12)]).toStrictEqual(["1 d 2 h", "2 h 5 min", "4 min 10 s", "12 s"]);
  const f = (name: string, value: string, flag: string, kind = "string"): [string, ReadField] => [name, { node: "room", time: 1, name, value, kind, flags: [flag], writable: false }];
  const room = new Map<string, ReadField>([f("temperature", "21", "momentary", "numeric"), f("uptime", "PT2H5M", "status", "duration"), f("error_count", "3", "status", "int"), f("read_count", "40", "status", "int"), f("last_error", "timeout", "status"), f("driver", "simulated", "identity"), f("thingd_version", "0.1.0", "identity")]);
  const st = thingStatus(new Map([["room", room], ["empty", new Map<string, ReadField>([f("temperature", "1", "momentary")])]]));
  expect(st).toStrictEqual({ version: "0.1.0", nodes: [{ node: "room", driver: "simulated", uptime: "2 h 5 min", reads: 40, errors: 3, lastError: "timeout", time: 1 }] });
  expect(isInfoField(room.get("temperature")!)).toBe(false);
  expect(isInfoField(room.get("uptime")!)).toBe(true);
});
