import { describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import {
  buildIeeeAccepted,
  buildIeeeField,
  buildIeeeResp,
  buildIeeeRespMessage,
  buildIeeeStartedMessage,
  IEEE_NAMESPACES,
  parseIeeeCancel,
  parseIeeeRequest,
  parseIeeeResp,
} from "../../../agent/protocol/ieee-sensordata.js";
import { buildField } from "../../../agent/protocol/sensordata.js";
import { HISTORICAL_FLAGS, TYPE_FLAGS } from "../../../agent/protocol/readout-request.js";
import { formatDuration, formatTime } from "../../../agent/protocol/field-value.js";
import { NS_IEEE_SENSORDATA } from "../../../agent/protocol/ns.js";
import type { Field } from "../../../drivers/types.js";
import { thrownCondition as condition } from "../../helpers/stanzas.js";

const NS = NS_IEEE_SENSORDATA;
const req = (attrs: Record<string, string>, ...children: ReturnType<typeof xml>[]) => xml("req", { xmlns: NS, ...attrs }, ...children);
const T = new Date("2024-05-01T10:15:00.000Z");

/** One field of every value type, each with a different kind. */
const EVERY_TYPE: Field[] = [
  { type: "numeric", name: "temperature", value: 21.4, unit: "°C", decimals: 2, timestamp: T },
  { type: "boolean", name: "door", value: false, timestamp: T, kind: "status" },
  { type: "string", name: "driver", value: "bme280", timestamp: T, kind: "identity" },
  { type: "int", name: "read_count", value: 42, timestamp: T, kind: "status" },
  { type: "long", name: "pulses", value: 9007199254740993n, timestamp: T },
  { type: "date", name: "installed", value: new Date("2023-12-24T18:00:00Z"), timestamp: T, kind: "identity" },
  { type: "time", name: "sunrise", value: 6 * 3600 + 5 * 60 + 7.25, timestamp: T, kind: "computed" },
  { type: "dateTime", name: "last_calibration", value: new Date("2024-04-30T08:00:00.500Z"), timestamp: T, kind: "status" },
  { type: "duration", name: "uptime", value: 93784, timestamp: T, kind: "status" },
  { type: "enum", name: "fix", value: "Gps", dataType: "GpsFixQuality", timestamp: T, kind: "peak" },
];

describe("parseIeeeRequest", () => {
  it("reads id unchanged, short flags, <nd id src pt>, <f n>, tokens and times", () => {
    const { id, request: r } = parseIeeeRequest(
      req(
        { id: "a1b2", m: "true", i: "1", s: "false", st: "svc", dt: "dev", ut: "usr", from: "2024-05-01T00:00:00Z", to: "2024-05-02T00:00:00+02:00", when: "2024-05-01T10:15:00Z" },
        xml("nd", { id: "room" }),
        xml("nd", { id: "meter", src: "MeteringTopology", pt: "p1" }),
        xml("f", { n: "temperature" }),
      ),
    );
    expect(id).toBe("a1b2");
    expect([...r.types]).toStrictEqual(["momentary", "identity"]);
    expect(r.nodes).toStrictEqual([{ nodeId: "room" }, { nodeId: "meter", sourceId: "MeteringTopology", cacheType: "p1" }]);
    expect([...r.fieldNames]).toStrictEqual(["temperature"]);
    expect([r.serviceToken, r.deviceToken, r.userToken]).toStrictEqual(["svc", "dev", "usr"]);
    expect(r.from?.toISOString()).toBe("2024-05-01T00:00:00.000Z");
    expect(r.to?.toISOString()).toBe("2024-05-01T22:00:00.000Z");
    expect(r.when?.toISOString()).toBe("2024-05-01T10:15:00.000Z");
  });

  it("h means every historical period; no flag or all means every type", () => {
    expect([...parseIeeeRequest(req({ id: "1", h: "true" })).request.types]).toStrictEqual([...HISTORICAL_FLAGS]);
    expect(new Set(parseIeeeRequest(req({ id: "1" })).request.types)).toStrictEqual(new Set(TYPE_FLAGS));
    expect(new Set(parseIeeeRequest(req({ id: "1", all: "true", m: "true" })).request.types)).toStrictEqual(new Set(TYPE_FLAGS));
    expect([...parseIeeeRequest(req({ id: "1", p: "1", c: "true" })).request.types]).toStrictEqual(["peak", "computed"]);
  });

  it("refuses a missing id, bad booleans and dates, and <nd>/<f> without their key", () => {
    expect(condition(() => parseIeeeRequest(req({ m: "true" })))).toBe('modify/bad-request: req: missing attribute "id"');
    expect(condition(() => parseIeeeRequest(req({ id: "" })))).toMatch(/missing attribute "id"/);
    expect(condition(() => parseIeeeRequest(req({ id: "1", m: "yes" })))).toBe('modify/bad-request: req@m: expected xs:boolean, got "yes"');
    expect(condition(() => parseIeeeRequest(req({ id: "1", when: "tomorrow" })))).toMatch(/req@when: expected xs:dateTime/);
    expect(condition(() => parseIeeeRequest(req({ id: "1" }, xml("nd", { nodeId: "room" }))))).toMatch(/req\/nd: missing attribute "id"/);
    expect(condition(() => parseIeeeRequest(req({ id: "1" }, xml("f", { name: "x" }))))).toMatch(/req\/f: missing attribute "n"/);
  });

  it("parseIeeeCancel", () => {
    expect(parseIeeeCancel(xml("cancel", { xmlns: NS, id: "q9" }))).toBe("q9");
    expect(condition(() => parseIeeeCancel(xml("cancel", { xmlns: NS })))).toMatch(/cancel: missing attribute "id"/);
  });

  it("knows its three namespaces", () => {
    expect(IEEE_NAMESPACES).toStrictEqual(["urn:ieee:iot:sd:1.0", "urn:ieee:iot:sd", "urn:nfi:iot:sd:1.0"]);
  });
});

describe("IEEE builders", () => {
  it("accepted / started carry id in the given namespace", () => {
    expect(buildIeeeAccepted(NS, "7").toString()).toBe(`<accepted xmlns="${NS}" id="7"/>`);
    expect(buildIeeeAccepted("urn:nfi:iot:sd:1.0", "7", true).toString()).toBe(`<accepted xmlns="urn:nfi:iot:sd:1.0" id="7" queued="true"/>`);
    expect(buildIeeeStartedMessage(NS, "c@x/r", "7").toString()).toBe(`<message to="c@x/r"><started xmlns="${NS}" id="7"/></message>`);
  });

  it("writes every value type natively, with n v u t, short kind flags and ar", () => {
    expect(EVERY_TYPE.map((f) => buildIeeeField(f).toString())).toStrictEqual([
      `<q n="temperature" m="true" ar="true" v="21.40" u="°C"/>`,
      `<b n="door" s="true" ar="true" v="false"/>`,
      `<s n="driver" i="true" ar="true" v="bme280"/>`,
      `<i n="read_count" s="true" ar="true" v="42"/>`,
      `<l n="pulses" m="true" ar="true" v="9007199254740993"/>`,
      `<d n="installed" i="true" ar="true" v="2023-12-24"/>`,
      `<t n="sunrise" c="true" ar="true" v="06:05:07.25"/>`,
      `<dt n="last_calibration" s="true" ar="true" v="2024-04-30T08:00:00Z"/>`,
      `<dr n="uptime" s="true" ar="true" v="P1DT2H3M4S"/>`,
      `<e n="fix" p="true" ar="true" v="Gps" t="GpsFixQuality"/>`,
    ]);
  });

  it("marks historical fields h and writable ones ctr", () => {
    const f: Field = { type: "numeric", name: "t", value: 1, unit: "°C", decimals: 0, timestamp: T, kind: "historicalHour", writable: true };
    expect(buildIeeeField(f).attrs).toStrictEqual({ n: "t", ctr: "true", h: "true", ar: "true", v: "1", u: "°C" });
  });

  it("<resp>: nodes with fields, then failed nodes with <err> inside nd > ts; more only when not done", () => {
    const resp = buildIeeeResp(
      NS,
      "r1",
      [
        { nodeId: "room", fields: EVERY_TYPE.slice(0, 2) },
        { nodeId: "empty", fields: [] },
      ],
      [{ nodeId: "flaky", timestamp: T, message: "I2C read timeout" }],
    );
    expect(resp.toString()).toBe(
      `<resp xmlns="${NS}" id="r1">` +
        `<nd id="room"><ts v="2024-05-01T10:15:00Z">` +
        `<q n="temperature" m="true" ar="true" v="21.40" u="°C"/><b n="door" s="true" ar="true" v="false"/>` +
        `</ts></nd>` +
        `<nd id="flaky"><ts v="2024-05-01T10:15:00Z"><err>I2C read timeout</err></ts></nd>` +
        `</resp>`,
    );
    expect(buildIeeeResp(NS, "r1", [], [], true).attrs.more).toBe("true");
    const msg = buildIeeeRespMessage(NS, "c@x/r", "r1", [], []);
    expect(msg.toString()).toBe(`<message to="c@x/r"><resp xmlns="${NS}" id="r1"/></message>`);
  });

  it("parseIeeeResp reads back what the builders wrote", () => {
    const parsed = parseIeeeResp(
      buildIeeeResp(NS, "r2", [{ nodeId: "room", fields: EVERY_TYPE }], [{ nodeId: "flaky", timestamp: T, message: "boom" }], true),
    );
    expect(parsed.id).toBe("r2");
    expect(parsed.more).toBe(true);
    expect(parsed.fields).toHaveLength(EVERY_TYPE.length);
    expect(parsed.fields[0]).toStrictEqual({ node: "room", timestamp: "2024-05-01T10:15:00Z", element: "q", name: "temperature", value: "21.40", unit: "°C", flags: ["m", "ar"] });
    expect(parsed.fields.at(-1)).toMatchObject({ element: "e", value: "Gps", dataType: "GpsFixQuality", flags: ["p", "ar"] });
    expect(parsed.errors).toStrictEqual([{ nodeId: "flaky", timestamp: "2024-05-01T10:15:00Z", message: "boom" }]);
  });
});

describe("seqnr dialect compat forms (docs/protocol.md §6.1)", () => {
  it("writes int/long as numeric unit='', date/time as string, duration as timeSpan, enum with dataType", () => {
    expect(EVERY_TYPE.map((f) => buildField(f).toString())).toStrictEqual([
      `<numeric name="temperature" momentary="true" automaticReadout="true" value="21.40" unit="°C"/>`,
      `<boolean name="door" status="true" automaticReadout="true" value="false"/>`,
      `<string name="driver" identity="true" automaticReadout="true" value="bme280"/>`,
      `<numeric name="read_count" status="true" automaticReadout="true" value="42" unit=""/>`,
      `<numeric name="pulses" momentary="true" automaticReadout="true" value="9007199254740993" unit=""/>`,
      `<string name="installed" identity="true" automaticReadout="true" value="2023-12-24"/>`,
      `<string name="sunrise" computed="true" automaticReadout="true" value="06:05:07.25"/>`,
      `<dateTime name="last_calibration" status="true" automaticReadout="true" value="2024-04-30T08:00:00Z"/>`,
      `<timeSpan name="uptime" status="true" automaticReadout="true" value="P1DT2H3M4S"/>`,
      `<enum name="fix" peak="true" automaticReadout="true" value="Gps" dataType="GpsFixQuality"/>`,
    ]);
  });
});

describe("lexical forms", () => {
  it("formatDuration", () => {
    expect([0, 59, 60, 3600, 86400, 90061.5, -90].map(formatDuration)).toStrictEqual(["PT0S", "PT59S", "PT1M", "PT1H", "P1D", "P1DT1H1M1.5S", "-PT1M30S"]);
  });
  it("formatTime", () => {
    expect([0, 3661, 86399.999].map(formatTime)).toStrictEqual(["00:00:00", "01:01:01", "23:59:59.999"]);
  });
});
