// The console's pure parts, in Node: iotdisco: parsing and <mine/>, the ws:// policy, history
// series and CSV, seqnr-dialect readout messages and IEEE pushes.
import { xml } from "@xmpp/xml";
import { expect, it } from "vitest";
import { buildIotDiscoUri } from "../../agent/protocol/iotdisco.js";
import { buildMineIq, parseIotDiscoUri } from "../../console/src/claim.js";
import { historyRequest, toCsv, toSeries } from "../../console/src/history.js";
import { parseEventMessage, parseReadoutMessage } from "../../console/src/readout.js";
import { webSocketUrlProblem } from "../../console/src/url-policy.js";

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
