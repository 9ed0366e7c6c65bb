import { describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import { buildRegister, parseClaimed, parseRegisterResult } from "../../../agent/protocol/discovery.js";
import { NS_DISCOVERY } from "../../../agent/protocol/ns.js";

describe("XEP-0347 build/parse", () => {
  it("types tags as str or num", () => {
    expect(buildRegister({ SN: "00a1", V: 1.5, KEY: "k" }).toString()).toBe(
      '<register xmlns="urn:xmpp:iot:discovery"><str name="SN" value="00a1"/><num name="V" value="1.5"/><str name="KEY" value="k"/></register>',
    );
  });
  it("reads claimed with and without public", () => {
    expect(parseClaimed(xml("claimed", { xmlns: NS_DISCOVERY, jid: "o@x" }))).toStrictEqual({ owner: "o@x", isPublic: true });
    expect(parseClaimed(xml("claimed", { xmlns: NS_DISCOVERY, jid: "o@x", public: "false" }))).toStrictEqual({ owner: "o@x", isPublic: false });
    expect(() => parseClaimed(xml("claimed", { xmlns: NS_DISCOVERY }))).toThrow(/missing attribute "jid"/);
  });
  it("register result: empty = unclaimed, claimed = owner", () => {
    expect(parseRegisterResult(xml("iq", { type: "result" }))).toBeUndefined();
    expect(parseRegisterResult(xml("iq", { type: "result" }, xml("claimed", { xmlns: NS_DISCOVERY, jid: "o@x" })))?.owner).toBe("o@x");
  });
});
