import { describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { ProtocolError } from "../../../agent/errors.js";
import {
  buildSetResult,
  ParamError,
  parseControlValue,
  parseSet,
  responseCodeFor,
} from "../../../agent/protocol/control.js";
import { buildField } from "../../../agent/protocol/sensordata.js";
import { NS_CONTROL, NS_STANZAS } from "../../../agent/protocol/ns.js";
import { buildRefusal } from "../../../agent/protocol/refusal.js";

const set = (...children: Element[]) => xml("set", { xmlns: NS_CONTROL, "xml:lang": "en" }, ...children);
const p = (type: string, name: string, value?: string) => xml(type, value === undefined ? { name } : { name, value });

function failure(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ParamError) return `${err.type}/${err.condition}/${err.param}: ${err.message}`;
    if (err instanceof ProtocolError) return `${err.type}/${err.condition}: ${err.message}`;
    throw err;
  }
  return undefined;
}

const request = xml("iq", { type: "set", from: "owner@example.org/app", to: "thing@example.org/imc", id: "c1" }, set(p("boolean", "Output", "true")));

describe("parseSet", () => {
  it("reads nodes and every parameter type in document order", () => {
    const s = parseSet(
      set(
        xml("node", { nodeId: "relay-1" }),
        p("boolean", "a", "1"),
        p("int", "b", "-2147483648"),
        p("long", "c", "9223372036854775807"),
        p("double", "d", "-1.5e3"),
        p("string", "e", " spaced "),
        p("date", "f", "2024-05-01"),
        p("time", "g", "10:15:00.5+02:00"),
        p("dateTime", "h", "2024-05-01T10:15:00Z"),
        p("duration", "i", "PT5M"),
        p("color", "j", "ff8000"),
        xml("node", { nodeId: "relay-2", sourceId: "MeteringTopology" }),
      ),
    );
    expect(s.nodes).toStrictEqual([{ nodeId: "relay-1" }, { nodeId: "relay-2", sourceId: "MeteringTopology" }]);
    expect(s.parameters.map((x) => [x.name, x.type, x.parsed])).toStrictEqual([
      ["a", "boolean", { ok: true, value: { type: "boolean", value: true } }],
      ["b", "int", { ok: true, value: { type: "int", value: -2147483648 } }],
      ["c", "long", { ok: true, value: { type: "long", value: 9223372036854775807n } }],
      ["d", "double", { ok: true, value: { type: "double", value: -1500 } }],
      ["e", "string", { ok: true, value: { type: "string", value: " spaced " } }],
      ["f", "date", { ok: true, value: { type: "date", value: "2024-05-01" } }],
      ["g", "time", { ok: true, value: { type: "time", value: "10:15:00.5+02:00" } }],
      ["h", "dateTime", { ok: true, value: { type: "dateTime", value: new Date("2024-05-01T10:15:00Z") } }],
      ["i", "duration", { ok: true, value: { type: "duration", value: "PT5M" } }],
      ["j", "color", { ok: true, value: { type: "color", value: "FF8000" } }],
    ]);
  });

  it("passes tokens on", () => {
    const s = parseSet(xml("set", { xmlns: NS_CONTROL, serviceToken: "st", userToken: "ut" }, p("boolean", "a", "true")));
    expect([s.serviceToken, s.deviceToken, s.userToken]).toStrictEqual(["st", undefined, "ut"]);
  });

  it("keeps a bad value per parameter, so the caller can check nodes and names first", () => {
    const s = parseSet(set(p("boolean", "Output", "maybe")));
    expect(s.parameters[0]!.parsed).toStrictEqual({ ok: false, problem: 'expected xs:boolean (true, false, 1, 0), got "maybe"' });
  });

  it("refuses structural problems with bad-request, an x form with feature-not-implemented", () => {
    expect(failure(() => parseSet(set()))).toBe("modify/bad-request: set: no parameter to set");
    expect(failure(() => parseSet(set(xml("node", {}), p("boolean", "a", "1"))))).toBe('modify/bad-request: set/node: missing attribute "nodeId"');
    expect(failure(() => parseSet(set(xml("boolean", { value: "1" }))))).toBe('modify/bad-request: set/boolean: missing attribute "name"');
    expect(failure(() => parseSet(set(p("int", "level"))))).toBe('modify/bad-request/level: set/int: missing attribute "value"');
    expect(failure(() => parseSet(set(p("float", "level", "1"))))).toBe("modify/bad-request/level: set/float: not a control parameter type");
    expect(failure(() => parseSet(set(xml("x", { xmlns: "jabber:x:data", type: "submit" }))))).toBe(
      "cancel/feature-not-implemented: Setting parameters with a data form is not supported.",
    );
  });

  it("ignores foreign extension elements", () => {
    const s = parseSet(set(xml("thing", { xmlns: "urn:example:ext" }), p("boolean", "a", "0")));
    expect(s.parameters.map((x) => x.name)).toStrictEqual(["a"]);
  });
});

describe("parseControlValue", () => {
  const ok = (type: Parameters<typeof parseControlValue>[0], v: string) => parseControlValue(type, v).ok;
  it("checks the 32/64-bit ranges", () => {
    expect([ok("int", "2147483647"), ok("int", "2147483648"), ok("int", "-2147483649"), ok("int", "1.0")]).toStrictEqual([true, false, false, false]);
    expect([ok("long", "-9223372036854775808"), ok("long", "9223372036854775808")]).toStrictEqual([true, false]);
    expect(parseControlValue("int", "99999999999")).toStrictEqual({ ok: false, problem: 'expected a 32-bit integer (xs:int), got "99999999999"' });
  });
  it("accepts xs:double forms and refuses others", () => {
    expect(["1", "-.5", "1.", "1E-3", "INF", "-INF", "NaN"].map((v) => ok("double", v))).toStrictEqual(Array(7).fill(true));
    expect(["", "1,5", "e3", "inf", "0x10"].map((v) => ok("double", v))).toStrictEqual(Array(5).fill(false));
    expect(parseControlValue("double", "-INF")).toStrictEqual({ ok: true, value: { type: "double", value: -Infinity } });
  });
  it("checks dates, times, durations and colours", () => {
    expect([ok("date", "2024-13-01"), ok("date", "2024-02-30"), ok("date", "2024-02-01Z")]).toStrictEqual([false, true, true]);
    expect([ok("time", "24:00:00"), ok("time", "23:59:59Z"), ok("time", "10:15")]).toStrictEqual([false, true, false]);
    expect([ok("dateTime", "2024-05-01T10:15:00"), ok("dateTime", "2024-05-01")]).toStrictEqual([true, false]);
    expect([ok("duration", "P1DT2H"), ok("duration", "P"), ok("duration", "PT"), ok("duration", "-P1Y")]).toStrictEqual([true, false, false, true]);
    expect([ok("color", "00FF00AA"), ok("color", "00FF0"), ok("color", "#00FF00")]).toStrictEqual([true, false, false]);
    expect([ok("boolean", "0"), ok("boolean", "yes")]).toStrictEqual([true, false]);
  });
});

describe("setResponse and errors", () => {
  it("answers OK in the result (v0.2 code kept for slixmpp)", () => {
    expect(buildSetResult(request).toString()).toBe(
      `<iq type="result" to="owner@example.org/app" from="thing@example.org/imc" id="c1"><setResponse xmlns="${NS_CONTROL}" responseCode="OK"/></iq>`,
    );
  });

  it("puts paramError inside <error> and setResponse beside it", () => {
    const reply = buildRefusal(request, request.getChild("set")!, new ParamError("item-not-found", 'Node "relay-1" has no parameter "Outptu".', "Outptu"));
    expect(reply.attrs).toStrictEqual({ type: "error", to: "owner@example.org/app", from: "thing@example.org/imc", id: "c1" });
    const [response, error] = reply.getChildElements();
    expect(response!.toString()).toBe(`<setResponse xmlns="${NS_CONTROL}" responseCode="NotFound"/>`);
    expect(error!.attrs.type).toBe("cancel");
    expect(error!.getChild("item-not-found", NS_STANZAS)).toBeDefined();
    expect(error!.getChildText("text", NS_STANZAS)).toBe('Node "relay-1" has no parameter "Outptu".');
    const paramError = error!.getChild("paramError", NS_CONTROL)!;
    expect([paramError.attrs.var, paramError.text()]).toStrictEqual(["Outptu", 'Node "relay-1" has no parameter "Outptu".']);
  });

  it("has no paramError for errors about the whole request", () => {
    const reply = buildRefusal(request, request.getChild("set")!, new ProtocolError("forbidden", "Access denied."));
    expect(reply.getChild("setResponse", NS_CONTROL)?.attrs.responseCode).toBe("InsufficientPrivileges");
    expect(reply.getChild("error")!.getChild("paramError", NS_CONTROL)).toBeUndefined();
  });

  it("maps every condition to a v0.2 response code", () => {
    expect(
      (["item-not-found", "forbidden", "conflict", "feature-not-implemented", "bad-request", "internal-server-error"] as const).map(responseCodeFor),
    ).toStrictEqual(["NotFound", "InsufficientPrivileges", "Locked", "NotImplemented", "FormError", "OtherError"]);
  });
});

describe("writable fields in readouts", () => {
  it("writes writable='true' only for writable fields", () => {
    const timestamp = new Date("2024-05-01T10:15:00Z");
    expect(buildField({ type: "boolean", name: "relay", value: true, writable: true, timestamp }).attrs).toStrictEqual({
      name: "relay", momentary: "true", automaticReadout: "true", writable: "true", value: "true",
    });
    expect(buildField({ type: "boolean", name: "state", value: false, timestamp }).attrs.writable).toBeUndefined();
  });
});
