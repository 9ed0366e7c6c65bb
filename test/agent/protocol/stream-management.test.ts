// XEP-0198 nonzas: what we send and how we read what the server sends (examples from XEP-0198 §4–5 and Prosody 0.12).
import { describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import {
  buildAck,
  buildAckRequest,
  buildEnable,
  buildResume,
  H_MAX,
  isSm,
  NS_SM,
  parseAckH,
  parseEnabled,
  parseFailed,
  parseH,
} from "../../../agent/protocol/stream-management.js";

const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

describe("building", () => {
  it("enable asks for resumption", () => {
    expect(buildEnable().toString()).toBe(`<enable xmlns="${NS_SM}" resume="true"/>`);
  });

  it("resume carries the previous id and our h", () => {
    expect(buildResume("some-long-sm-id", 42).toString()).toBe(`<resume xmlns="${NS_SM}" previd="some-long-sm-id" h="42"/>`);
  });

  it("a and r", () => {
    expect(buildAck(H_MAX).toString()).toBe(`<a xmlns="${NS_SM}" h="4294967295"/>`);
    expect(buildAckRequest().toString()).toBe(`<r xmlns="${NS_SM}"/>`);
  });
});

describe("parsing", () => {
  it("Prosody's <enabled/> with resumption", () => {
    const el = xml("enabled", { xmlns: NS_SM, id: "h5Ue-6SZaBbu", resume: "true", max: "600" });
    expect(isSm(el, "enabled")).toBe(true);
    expect(parseEnabled(el)).toEqual({ id: "h5Ue-6SZaBbu", resume: true, maxSeconds: 600 });
  });

  it("<enabled/> with a location (a cluster node to resume on)", () => {
    const el = xml("enabled", { xmlns: NS_SM, id: "x", resume: "1", location: "[2001:db8::1]:5222" });
    expect(parseEnabled(el)).toEqual({ id: "x", resume: true, location: "[2001:db8::1]:5222" });
  });

  it("<enabled/> without resumption, or resume without an id, is not resumable", () => {
    expect(parseEnabled(xml("enabled", { xmlns: NS_SM }))).toEqual({ resume: false });
    expect(parseEnabled(xml("enabled", { xmlns: NS_SM, resume: "true" }))).toEqual({ resume: false });
    expect(parseEnabled(xml("enabled", { xmlns: NS_SM, id: "x", resume: "true", max: "soon" }))).toEqual({ id: "x", resume: true });
  });

  it("<failed/> after a server restart carries the old h and item-not-found", () => {
    const el = xml("failed", { xmlns: NS_SM, h: "7" }, xml("item-not-found", { xmlns: NS_STANZAS }));
    expect(isSm(el, "failed")).toBe(true);
    expect(parseFailed(el)).toEqual({ h: 7, condition: "item-not-found" });
    expect(parseFailed(xml("failed", { xmlns: NS_SM }))).toEqual({});
  });

  it("h is an unsigned 32-bit decimal; anything else is refused", () => {
    expect(parseH("0")).toBe(0);
    expect(parseH("4294967295")).toBe(H_MAX);
    expect(parseH("4294967296")).toBeUndefined();
    expect(parseH("-1")).toBeUndefined();
    expect(parseH("1e3")).toBeUndefined();
    expect(parseH("")).toBeUndefined();
    expect(parseH(undefined)).toBeUndefined();
    expect(parseAckH(xml("a", { xmlns: NS_SM, h: "12" }))).toBe(12);
  });

  it("only elements in urn:xmpp:sm:3 count", () => {
    expect(isSm(xml("a", { xmlns: "urn:xmpp:sm:2", h: "1" }), "a")).toBe(false);
    expect(isSm(xml("r", { xmlns: NS_SM }), "r")).toBe(true);
  });
});
