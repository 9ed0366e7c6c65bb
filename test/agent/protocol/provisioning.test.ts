import { describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import {
  buildCanControl,
  buildCanRead,
  buildClearCacheResponse,
  buildIsFriend,
  parseCanControlResponse,
  parseCanReadResponse,
  parseFriendshipMessage,
  parseIsFriendResponse,
  questionKey,
} from "../../../agent/protocol/provisioning.js";
import { NS_PROVISIONING } from "../../../agent/protocol/ns.js";
import { restrictRead } from "../../../agent/access/policy.js";

const result = (...children: ReturnType<typeof xml>[]) => xml("iq", { type: "result" }, ...children);

describe("XEP-0324 build/parse", () => {
  it("builds isFriend, canRead and canControl questions", () => {
    expect(buildIsFriend("a@x").toString()).toBe('<isFriend xmlns="urn:xmpp:iot:provisioning" jid="a@x"/>');
    expect(
      buildCanRead("a@x", { types: new Set(["momentary"]), nodes: [{ nodeId: "room" }], fieldNames: new Set(["t"]), userToken: "u1" }).toString(),
    ).toBe('<canRead xmlns="urn:xmpp:iot:provisioning" jid="a@x" momentary="true" userToken="u1"><node nodeId="room"/><field name="t"/></canRead>');
    expect(buildCanControl("a@x", ["relay-1"], ["Output"]).toString()).toBe(
      '<canControl xmlns="urn:xmpp:iot:provisioning" jid="a@x"><node nodeId="relay-1"/><parameter name="Output"/></canControl>',
    );
    expect(buildClearCacheResponse().toString()).toBe('<clearCacheResponse xmlns="urn:xmpp:iot:provisioning"/>');
  });

  it("reads responses; a missing or foreign payload is a deny", () => {
    expect(parseIsFriendResponse(result(xml("isFriendResponse", { xmlns: NS_PROVISIONING, jid: "a@x", result: "true" })))).toBe(true);
    expect(parseIsFriendResponse(result(xml("isFriendResponse", { xmlns: NS_PROVISIONING, jid: "a@x", result: "false" })))).toBe(false);
    expect(parseIsFriendResponse(result())).toBe(false);
    expect(parseCanReadResponse(result(xml("canReadResponse", { xmlns: "urn:other", result: "true" })))).toStrictEqual({ result: false });
    expect(parseCanReadResponse(result(xml("canReadResponse", { xmlns: NS_PROVISIONING, result: "1" })))).toStrictEqual({ result: true });
    expect(
      parseCanReadResponse(result(xml("canReadResponse", { xmlns: NS_PROVISIONING, result: "true" }, xml("node", { nodeId: "room" }), xml("field", { name: "t" })))),
    ).toStrictEqual({ result: true, nodes: ["room"], names: ["t"] });
    expect(
      parseCanControlResponse(result(xml("canControlResponse", { xmlns: NS_PROVISIONING, result: "true" }, xml("parameter", { name: "Output" })))),
    ).toStrictEqual({ result: true, names: ["Output"] });
  });

  it("reads friend/unfriend messages", () => {
    expect(parseFriendshipMessage(xml("message", {}, xml("friend", { xmlns: NS_PROVISIONING, jid: "a@x" })))).toStrictEqual({ kind: "friend", jid: "a@x" });
    expect(parseFriendshipMessage(xml("message", {}, xml("unfriend", { xmlns: NS_PROVISIONING, jid: "a@x" })))).toStrictEqual({ kind: "unfriend", jid: "a@x" });
    expect(parseFriendshipMessage(xml("message", {}, xml("body", {}, "hi")))).toBeUndefined();
    expect(parseFriendshipMessage(xml("message", {}, xml("friend", { xmlns: NS_PROVISIONING })))).toBeUndefined();
  });

  it("keys the cache by the whole question", () => {
    expect(questionKey(buildIsFriend("a@x"))).toBe(questionKey(buildIsFriend("a@x")));
    expect(questionKey(buildIsFriend("a@x"))).not.toBe(questionKey(buildIsFriend("b@x")));
  });
});

describe("restrictRead", () => {
  const q = (nodes: string[], fields: string[]) => ({ nodes: nodes.map((nodeId) => ({ nodeId })), fieldNames: new Set(fields) });
  it("denies, passes through, or narrows", () => {
    expect(restrictRead(q([], []), { allowed: false })).toBeUndefined();
    const all = q(["a"], []);
    expect(restrictRead(all, { allowed: true })).toBe(all);
    expect(restrictRead(q([], []), { allowed: true, nodes: ["a"] })).toStrictEqual(q(["a"], []));
    expect(restrictRead(q(["a", "b"], []), { allowed: true, nodes: ["b"] })).toStrictEqual(q(["b"], []));
    expect(restrictRead(q(["a"], []), { allowed: true, nodes: ["b"] })).toBeUndefined();
    expect(restrictRead(q([], ["t", "h"]), { allowed: true, fieldNames: ["h"] })).toStrictEqual(q([], ["h"]));
    expect(restrictRead(q([], []), { allowed: true, fieldNames: ["h"] })).toStrictEqual(q([], ["h"]));
    expect(restrictRead(q([], ["t"]), { allowed: true, fieldNames: ["h"] })).toBeUndefined();
  });
});
