import { describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import { buildSubscribe, NS_IEEE_EVENTS, NS_NF_EVENTS, parseSubscribe, parseUnsubscribe, parseXsDuration } from "../../../agent/protocol/events.js";
import { thrownCondition } from "../../helpers/stanzas.js";

describe("IEEE event subscription parsing", () => {
  it("reads IoTGateway's SensorClient.Subscribe element", () => {
    // As SensorClient writes it: id, type flags, minInt/maxInt/maxAge, req, <nd>, <f n v by up dn>.
    const el = xml(
      "subscribe",
      { xmlns: NS_IEEE_EVENTS, id: "abc", m: "true", minInt: "PT5S", maxInt: "PT15M", maxAge: "PT5M", req: "true", st: "tok" },
      xml("nd", { id: "room" }),
      xml("f", { n: "temperature", v: "21.5", by: "0.5" }),
      xml("f", { n: "pm2_5", up: "5", dn: "2" }),
    );
    expect(parseSubscribe(el)).toStrictEqual({
      id: "abc",
      ns: "urn:ieee:iot:sd:1.0",
      types: new Set(["momentary"]),
      nodes: [{ nodeId: "room" }],
      fields: [
        { name: "temperature", v: 21.5, by: 0.5 },
        { name: "pm2_5", up: 5, dn: 2 },
      ],
      minIntMs: 5000,
      maxIntMs: 900_000,
      maxAgeMs: 300_000,
      req: true,
      serviceToken: "tok",
    });
  });

  it("answers nf subscriptions in the nf sensor-data namespace; no flags means every live kind", () => {
    const r = parseSubscribe(xml("subscribe", { xmlns: NS_NF_EVENTS, id: "x" }));
    expect(r.ns).toBe("urn:nf:iot:sd:1.0");
    expect([...r.types].sort()).toStrictEqual(["computed", "identity", "momentary", "peak", "status"]);
    expect(r.req).toBe(false);
  });

  it("refuses what it cannot read with bad-request", () => {
    expect(thrownCondition(() => parseSubscribe(xml("subscribe", { xmlns: NS_IEEE_EVENTS })))).toBe('modify/bad-request: subscribe: missing attribute "id"');
    expect(thrownCondition(() => parseSubscribe(xml("subscribe", { xmlns: NS_IEEE_EVENTS, id: "a", minInt: "5s" })))).toMatch(/minInt: expected xs:duration/);
    expect(thrownCondition(() => parseSubscribe(xml("subscribe", { xmlns: NS_IEEE_EVENTS, id: "a", minInt: "PT10S", maxInt: "PT5S" })))).toMatch(
      /maxInt is shorter than minInt/,
    );
    expect(thrownCondition(() => parseSubscribe(xml("subscribe", { xmlns: NS_IEEE_EVENTS, id: "a" }, xml("f", { n: "t", by: "x" }))))).toMatch(
      /f@by: expected a number/,
    );
    expect(thrownCondition(() => parseSubscribe(xml("subscribe", { xmlns: NS_IEEE_EVENTS, id: "a" }, xml("f", { n: "t", by: "-1" }))))).toMatch(/>= 0/);
    expect(thrownCondition(() => parseSubscribe(xml("subscribe", { xmlns: NS_IEEE_EVENTS, id: "a", m: "yes" })))).toMatch(/xs:boolean/);
    expect(thrownCondition(() => parseUnsubscribe(xml("unsubscribe", { xmlns: NS_IEEE_EVENTS })))).toMatch(/missing attribute "id"/);
  });

  it("parses xs:duration", () => {
    expect(parseXsDuration("PT1.5S", "x")).toBe(1500);
    expect(parseXsDuration("P1DT2H", "x")).toBe(93_600_000);
    expect(parseXsDuration("PT15M", "x")).toBe(900_000);
    expect(thrownCondition(() => parseXsDuration("P", "x"))).toMatch(/expected xs:duration/);
    expect(thrownCondition(() => parseXsDuration("PT", "x"))).toMatch(/expected xs:duration/);
  });

  it("buildSubscribe round-trips", () => {
    const el = buildSubscribe(NS_IEEE_EVENTS, { id: "r", nodes: ["a"], fields: [{ name: "t", by: 1 }], minInt: "PT1S", maxInt: "PT2S", req: true });
    const r = parseSubscribe(el);
    expect([r.id, r.nodes, r.fields, r.minIntMs, r.maxIntMs, r.req]).toStrictEqual(["r", [{ nodeId: "a" }], [{ name: "t", by: 1 }], 1000, 2000, true]);
  });
});
