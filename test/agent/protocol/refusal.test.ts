// The one refusal builder: the stanza error, and the legacy payload each protocol's older
// clients need beside it, chosen by the request's payload.
import { describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { ProtocolError } from "../../../agent/errors.js";
import { ParamError } from "../../../agent/protocol/control.js";
import { NS_CONTROL, NS_IEEE_SENSORDATA, NS_SENSORDATA } from "../../../agent/protocol/ns.js";
import { buildRefusal } from "../../../agent/protocol/refusal.js";

const iq = (child: Element) => xml("iq", { type: "get", from: "c@x/r", to: "t@x/gw", id: "q1" }, child);
const refuse = (child: Element, err: ProtocolError) => buildRefusal(iq(child), child, err).toString();
const ERR_NS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const error = (type: string, condition: string, text: string, inside = "") =>
  `<error type="${type}"><${condition} xmlns="${ERR_NS}"/><text xmlns="${ERR_NS}" xml:lang="en">${text}</text>${inside}</error>`;
const HEAD = `<iq type="error" to="c@x/r" from="t@x/gw" id="q1">`;

describe("buildRefusal", () => {
  it("seqnr dialect: <rejected> beside the error when the seqnr is readable, for <req> and <cancel>", () => {
    expect(refuse(xml("req", { xmlns: NS_SENSORDATA, seqnr: "7" }), new ProtocolError("forbidden", "Access denied."))).toBe(
      `${HEAD}<rejected xmlns="${NS_SENSORDATA}" seqnr="7"><error>Access denied.</error></rejected>${error("cancel", "forbidden", "Access denied.")}</iq>`,
    );
    expect(refuse(xml("cancel", { xmlns: NS_SENSORDATA, seqnr: "8" }), new ProtocolError("item-not-found", "No active readout with this id."))).toContain(
      `<rejected xmlns="${NS_SENSORDATA}" seqnr="8">`,
    );
    expect(refuse(xml("req", { xmlns: NS_SENSORDATA, seqnr: "x" }), new ProtocolError("bad-request", "bad"))).toBe(`${HEAD}${error("modify", "bad-request", "bad")}</iq>`);
  });

  it("IEEE dialect and anything else: the stanza error alone", () => {
    expect(refuse(xml("req", { xmlns: NS_IEEE_SENSORDATA, id: "7" }), new ProtocolError("forbidden", "Access denied."))).toBe(
      `${HEAD}${error("cancel", "forbidden", "Access denied.")}</iq>`,
    );
    expect(refuse(xml("ping", { xmlns: "urn:xmpp:ping" }), new ProtocolError("resource-constraint", "later", "wait"))).toBe(`${HEAD}${error("wait", "resource-constraint", "later")}</iq>`);
  });

  it("control: <setResponse> beside the error for <set> and <getForm>, <paramError> inside for a parameter", () => {
    const set = xml("set", { xmlns: NS_CONTROL }, xml("boolean", { name: "Output", value: "maybe" }));
    expect(refuse(set, new ParamError("bad-request", 'Parameter "Output": no.', "Output"))).toBe(
      `${HEAD}<setResponse xmlns="${NS_CONTROL}" responseCode="FormError"/>${error("modify", "bad-request", 'Parameter "Output": no.', `<paramError xmlns="${NS_CONTROL}" var="Output">Parameter "Output": no.</paramError>`)}</iq>`,
    );
    expect(refuse(xml("getForm", { xmlns: NS_CONTROL }), new ProtocolError("feature-not-implemented", "no forms"))).toBe(
      `${HEAD}<setResponse xmlns="${NS_CONTROL}" responseCode="NotImplemented"/>${error("cancel", "feature-not-implemented", "no forms")}</iq>`,
    );
  });

  it("takes the fields of a ProtocolError without one (the gate's cheap refusals)", () => {
    const child = xml("req", { xmlns: NS_SENSORDATA, seqnr: "3" });
    expect(buildRefusal(iq(child), child, { condition: "resource-constraint", type: "wait", message: "Too many." }).toString()).toBe(
      refuse(child, new ProtocolError("resource-constraint", "Too many.", "wait")),
    );
  });
});
