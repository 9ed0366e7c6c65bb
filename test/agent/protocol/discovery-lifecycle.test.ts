import { describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import { buildRegister, buildUnregister, buildUpdate, diffTags, mergeTags, parseRegisterResult, parseUpdateResult } from "../../../agent/protocol/discovery.js";
import { discoveryNamespace } from "../../../agent/ownership/registry-discovery.js";
import { NS_DISCO_INFO, NS_DISCOVERY, NS_DISCOVERY_IEEE } from "../../../agent/protocol/ns.js";

describe("XEP-0347 lifecycle build/parse", () => {
  it("builds update and unregister in the registry's namespace", () => {
    expect(buildUpdate({ KEY: "" }).toString()).toBe('<update xmlns="urn:xmpp:iot:discovery"><str name="KEY" value=""/></update>');
    expect(buildUpdate({ V: 2 }, NS_DISCOVERY_IEEE).toString()).toBe('<update xmlns="urn:ieee:iot:disco:1.0"><num name="V" value="2"/></update>');
    expect(buildUnregister().toString()).toBe('<unregister xmlns="urn:xmpp:iot:discovery"/>');
    expect(buildRegister({ SN: "1" }, NS_DISCOVERY_IEEE).attrs.xmlns).toBe(NS_DISCOVERY_IEEE);
  });

  it("reads update results: empty = ok, <disowned/> = disowned, in both namespaces", () => {
    expect(parseUpdateResult(xml("iq", { type: "result" }))).toBe("ok");
    expect(parseUpdateResult(xml("iq", { type: "result" }, xml("disowned", { xmlns: NS_DISCOVERY })))).toBe("disowned");
    expect(parseUpdateResult(xml("iq", { type: "result" }, xml("disowned", { xmlns: NS_DISCOVERY_IEEE })))).toBe("disowned");
    expect(parseUpdateResult(xml("iq", { type: "result" }, xml("disowned", { xmlns: "urn:other" })))).toBe("ok");
    expect(parseRegisterResult(xml("iq", { type: "result" }, xml("claimed", { xmlns: NS_DISCOVERY_IEEE, jid: "o@x", public: "false" })))).toStrictEqual({ owner: "o@x", isPublic: false });
  });

  it("diffs tags: changed and new values, '' for removed str tags, never KEY", () => {
    const sent = { SN: "1", MAN: "a.com", ROOM: "kitchen", V: 1, KEY: "abc" };
    expect(diffTags(sent, { SN: "1", MAN: "a.com", ROOM: "kitchen", V: 1 })).toStrictEqual({});
    expect(diffTags(sent, { SN: "1", MAN: "b.com", V: 2, CITY: "Oslo" })).toStrictEqual({ MAN: "b.com", V: 2, CITY: "Oslo", ROOM: "" });
    expect(diffTags({ V: "1" }, { V: 1 })).toStrictEqual({ V: 1 });
    expect(diffTags({ room: "x" }, { ROOM: "x" })).toStrictEqual({});
  });

  it("merges an update into what the registry holds", () => {
    expect(mergeTags({ SN: "1", ROOM: "kitchen", KEY: "abc" }, { ROOM: "", KEY: "", V: 2 })).toStrictEqual({ SN: "1", KEY: "", V: 2 });
  });

  it("picks the IEEE namespace only when the registry advertises it", () => {
    const info = (...features: string[]) => xml("iq", { type: "result" }, xml("query", { xmlns: NS_DISCO_INFO }, ...features.map((v) => xml("feature", { var: v }))));
    expect(discoveryNamespace(info(NS_DISCOVERY))).toBe(NS_DISCOVERY);
    expect(discoveryNamespace(info(NS_DISCOVERY, NS_DISCOVERY_IEEE))).toBe(NS_DISCOVERY_IEEE);
    expect(discoveryNamespace(info())).toBe(NS_DISCOVERY);
  });
});
