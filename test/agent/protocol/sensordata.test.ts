import { describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import {
  buildFieldsMessage,
  buildReadoutMessages,
  buildRejected,
  parseCancel,
  parseReadoutRequest,
  readableSeqnr,
} from "../../../agent/protocol/sensordata.js";
import { TYPE_FLAGS } from "../../../agent/protocol/readout-request.js";
import { NS_SENSORDATA } from "../../../agent/protocol/ns.js";
import type { Field } from "../../../drivers/types.js";
import { thrownCondition as condition } from "../../helpers/stanzas.js";

const req = (attrs: Record<string, string>, ...children: ReturnType<typeof xml>[]) =>
  xml("req", { xmlns: NS_SENSORDATA, ...attrs }, ...children);

describe("parseReadoutRequest", () => {
  it("reads seqnr unchanged, flags, nodes and fields", () => {
    const { id, request: r } = parseReadoutRequest(
      req({ seqnr: "007", momentary: "1", peak: "false" }, xml("node", { nodeId: "room" }), xml("field", { name: "temperature" })),
    );
    expect(id).toBe("007");
    expect([...r.types]).toStrictEqual(["momentary"]);
    expect(r.nodes).toStrictEqual([{ nodeId: "room" }]);
    expect([...r.fieldNames]).toStrictEqual(["temperature"]);
  });

  it("treats no type flag as all, and all as all", () => {
    expect(parseReadoutRequest(req({ seqnr: "1" })).request.types.size).toBe(TYPE_FLAGS.length);
    expect(parseReadoutRequest(req({ seqnr: "1", all: "true" })).request.types.size).toBe(TYPE_FLAGS.length);
  });

  it("expands historical to every period", () => {
    const r = parseReadoutRequest(req({ seqnr: "1", historical: "true" })).request;
    expect(r.types.has("historicalDay")).toBe(true);
    expect(r.types.has("momentary")).toBe(false);
  });

  it("parses when/from/to with zone, fraction, or none", () => {
    const r = parseReadoutRequest(req({ seqnr: "1", when: "2030-01-02T03:04:05.5+01:00", from: "2024-05-01T10:15:00Z", to: "2024-05-01T10:15:00" })).request;
    expect(r.when?.toISOString()).toBe("2030-01-02T02:04:05.500Z");
    expect(r.from?.toISOString()).toBe("2024-05-01T10:15:00.000Z");
    expect(r.to?.getTime()).toBe(new Date(2024, 4, 1, 10, 15, 0).getTime()); // zoneless = local
  });

  it("keeps tokens", () => {
    expect(parseReadoutRequest(req({ seqnr: "1", userToken: "u" })).request.userToken).toBe("u");
  });

  it.each([
    [{}, "modify/bad-request: req: missing attribute \"seqnr\""],
    [{ seqnr: "x1" }, "modify/bad-request: req: seqnr must be an xs:int, got \"x1\""],
    [{ seqnr: "99999999999" }, "modify/bad-request: req: seqnr must be an xs:int, got \"99999999999\""],
    [{ seqnr: "1", momentary: "yes" }, "modify/bad-request: req@momentary: expected xs:boolean, got \"yes\""],
    [{ seqnr: "1", when: "tomorrow" }, "modify/bad-request: req@when: expected xs:dateTime, got \"tomorrow\""],
    [{ seqnr: "1", from: "2024-13-01T00:00:00Z" }, "modify/bad-request: req@from: expected xs:dateTime, got \"2024-13-01T00:00:00Z\""],
  ])("rejects %o", (attrs, expected) => {
    expect(condition(() => parseReadoutRequest(req(attrs as Record<string, string>)))).toBe(expected);
  });

  it("rejects a node without nodeId", () => {
    expect(condition(() => parseReadoutRequest(req({ seqnr: "1" }, xml("node", {}))))).toBe(
      'modify/bad-request: req/node: missing attribute "nodeId"',
    );
  });

  it("readableSeqnr only returns valid ints", () => {
    expect(readableSeqnr(req({ seqnr: "12" }))).toBe("12");
    expect(readableSeqnr(req({ seqnr: "a" }))).toBeUndefined();
    expect(readableSeqnr(req({}))).toBeUndefined();
  });

  it("parseCancel requires seqnr", () => {
    expect(parseCancel(xml("cancel", { xmlns: NS_SENSORDATA, seqnr: "5" }))).toBe("5");
    expect(condition(() => parseCancel(xml("cancel", { xmlns: NS_SENSORDATA })))).toContain("bad-request");
  });
});

const t = new Date("2024-05-01T10:15:00.123Z");
const temp: Field = { type: "numeric", name: "temperature", value: 21.4, unit: "°C", decimals: 2, timestamp: t };
const hum: Field = { type: "numeric", name: "humidity", value: -0.001, unit: "%", decimals: 1, timestamp: t };
const door: Field = { type: "boolean", name: "door", value: false, timestamp: t, kind: "status" };

describe("building readouts", () => {
  it("writes decimals as configured, units, only true flags, UTC without fraction", () => {
    const msg = buildFieldsMessage("c@x/r", "7", [{ nodeId: "room", fields: [temp, hum, door] }], true);
    expect(msg.toString()).toBe(
      "<message to=\"c@x/r\"><fields xmlns=\"urn:xmpp:iot:sensordata\" seqnr=\"7\" done=\"true\">" +
        "<node nodeId=\"room\"><timestamp value=\"2024-05-01T10:15:00Z\">" +
        "<numeric name=\"temperature\" momentary=\"true\" automaticReadout=\"true\" value=\"21.40\" unit=\"°C\"/>" +
        "<numeric name=\"humidity\" momentary=\"true\" automaticReadout=\"true\" value=\"0.0\" unit=\"%\"/>" +
        "<boolean name=\"door\" status=\"true\" automaticReadout=\"true\" value=\"false\"/>" +
        "</timestamp></node></fields></message>",
    );
  });

  it("puts fields first and one failure with done last (slixmpp order)", () => {
    const msgs = buildReadoutMessages("c@x/r", "3", [{ nodeId: "a", fields: [temp] }], [
      { nodeId: "b", timestamp: t, message: "I2C read timeout" },
      { nodeId: "c", timestamp: t, message: "gone" },
    ]);
    expect(msgs.map((m) => m.toString())).toStrictEqual([
      "<message to=\"c@x/r\"><fields xmlns=\"urn:xmpp:iot:sensordata\" seqnr=\"3\"><node nodeId=\"a\"><timestamp value=\"2024-05-01T10:15:00Z\"><numeric name=\"temperature\" momentary=\"true\" automaticReadout=\"true\" value=\"21.40\" unit=\"°C\"/></timestamp></node></fields></message>",
      "<message to=\"c@x/r\"><failure xmlns=\"urn:xmpp:iot:sensordata\" seqnr=\"3\" done=\"true\"><error nodeId=\"b\" timestamp=\"2024-05-01T10:15:00Z\">I2C read timeout</error><error nodeId=\"c\" timestamp=\"2024-05-01T10:15:00Z\">gone</error></failure></message>",
    ]);
  });

  it("sends only a failure when every node failed, and an empty done fields when nothing matched", () => {
    const onlyFail = buildReadoutMessages("c@x/r", "4", [], [{ nodeId: "b", timestamp: t, message: "x" }]);
    expect(onlyFail).toHaveLength(1);
    expect(onlyFail[0]!.getChild("failure")?.attrs.done).toBe("true");
    const empty = buildReadoutMessages("c@x/r", "5", [{ nodeId: "a", fields: [] }], []);
    expect(empty.map(String)).toStrictEqual(['<message to="c@x/r"><fields xmlns="urn:xmpp:iot:sensordata" seqnr="5" done="true"/></message>']);
  });

  it("builds <rejected> with an error text", () => {
    expect(buildRejected("9", "Access denied.").toString()).toBe(
      '<rejected xmlns="urn:xmpp:iot:sensordata" seqnr="9"><error>Access denied.</error></rejected>',
    );
  });
});
