// Registry-side pure protocol: tag parsing, search operators, claim URIs, the claim limiter.
import { describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import { buildIotDiscoUri } from "../../agent/protocol/iotdisco.js";
import { ClaimLimiter } from "../../registry/claim-limiter.js";
import { RegistryError } from "../../registry/protocol/errors.js";
import { findClaimUri, parseClaimUri } from "../../registry/protocol/iotdisco-parse.js";
import { matches, parseSearch } from "../../registry/protocol/search.js";
import { parseTags, signature } from "../../registry/protocol/tags.js";

const NS = "urn:xmpp:iot:discovery";
const tags = parseTags(
  xml(
    "register",
    { xmlns: NS },
    xml("str", { name: "MAN", value: "example.com" }),
    xml("str", { name: "sn", value: "39487123" }),
    xml("num", { name: "V", value: "1.50" }),
    xml("num", { name: "LAT", value: "-33.5" }),
  ),
);
const search = (...ops: ReturnType<typeof xml>[]) => matches(parseSearch(xml("search", { xmlns: NS }, ...ops)), tags);
const condition = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return (err as RegistryError).condition;
  }
  return undefined;
};

describe("tags", () => {
  it("are case-insensitive by name, numbers canonical, order irrelevant to the signature", () => {
    const again = parseTags(
      xml(
        "mine",
        {},
        xml("num", { name: "v", value: "1.5" }),
        xml("num", { name: "lat", value: "-33.50" }),
        xml("str", { name: "SN", value: "39487123" }),
        xml("str", { name: "man", value: "example.com" }),
      ),
    );
    expect(signature(again)).toBe(signature(tags));
    const typed = parseTags(
      xml(
        "mine",
        {},
        xml("str", { name: "V", value: "1.5" }),
        xml("num", { name: "LAT", value: "-33.5" }),
        xml("str", { name: "SN", value: "39487123" }),
        xml("str", { name: "MAN", value: "example.com" }),
      ),
    );
    expect(signature(typed)).not.toBe(signature(tags)); // a str V is not a num V
  });

  it("refuse bad names, long values, non-numbers, duplicates and too many tags with bad-request", () => {
    for (const el of [
      xml("r", {}, xml("str", { name: "A:B", value: "x" })),
      xml("r", {}, xml("str", { name: "A".repeat(33), value: "x" })),
      xml("r", {}, xml("str", { name: "A", value: "x".repeat(129) })),
      xml("r", {}, xml("num", { name: "A", value: "NaN" })),
      xml("r", {}, xml("str", { name: "A", value: "x" }), xml("str", { name: "a", value: "y" })),
      xml("r", {}, ...Array.from({ length: 49 }, (_, i) => xml("str", { name: `T${i}`, value: "v" }))),
      xml("r", {}, xml("script", {})),
    ]) {
      expect(condition(() => parseTags(el))).toBe("bad-request");
    }
  });
});

describe("search operators", () => {
  it("str operators compare strings, num operators numbers, each only its own type", () => {
    expect(search(xml("strEq", { name: "MAN", value: "example.com" }))).toBe(true);
    expect(search(xml("strNEq", { name: "MAN", value: "example.com" }))).toBe(false);
    expect(search(xml("strGt", { name: "MAN", value: "d" }))).toBe(true);
    expect(search(xml("strGtEq", { name: "MAN", value: "example.com" }))).toBe(true);
    expect(search(xml("strLt", { name: "MAN", value: "example.com" }))).toBe(false);
    expect(search(xml("strLtEq", { name: "MAN", value: "example.com" }))).toBe(true);
    expect(search(xml("strRange", { name: "SN", min: "3", max: "4", maxIncluded: "false" }))).toBe(true);
    expect(search(xml("strNRange", { name: "SN", min: "3", max: "4" }))).toBe(false);
    expect(search(xml("strMask", { name: "SN", value: "39487*", wildcard: "*" }))).toBe(true);
    expect(search(xml("strMask", { name: "SN", value: "3948?123", wildcard: "?" }))).toBe(true);
    expect(search(xml("strMask", { name: "SN", value: "3.487*" }))).toBe(false); // '.' is literal
    expect(search(xml("numEq", { name: "V", value: "1.5" }))).toBe(true);
    expect(search(xml("numNEq", { name: "V", value: "1.5" }))).toBe(false);
    expect(search(xml("numGt", { name: "V", value: "1.4" }))).toBe(true);
    expect(search(xml("numGtEq", { name: "V", value: "1.6" }))).toBe(false);
    expect(search(xml("numLt", { name: "LAT", value: "-33" }))).toBe(true);
    expect(search(xml("numLtEq", { name: "LAT", value: "-34" }))).toBe(false);
    expect(search(xml("numRange", { name: "V", min: "1", max: "1.5", maxIncluded: "false" }))).toBe(false);
    expect(search(xml("numRange", { name: "V", min: "1", max: "1.5" }))).toBe(true);
    expect(search(xml("numNRange", { name: "LAT", min: "-34", max: "-33" }))).toBe(false);
    expect(search(xml("numNRange", { name: "V", min: "2", max: "3" }))).toBe(true);
    expect(search(xml("numEq", { name: "MAN", value: "1" }))).toBe(false); // a str tag
    expect(search(xml("strEq", { name: "V", value: "1.5" }))).toBe(false); // a num tag
    expect(search(xml("strNEq", { name: "ROOM", value: "x" }))).toBe(false); // missing tag
  });

  it("AND of all operators; KEY never matches; bad operators are bad-request", () => {
    expect(search(xml("strEq", { name: "MAN", value: "example.com" }), xml("numGt", { name: "V", value: "2" }))).toBe(false);
    expect(parseSearch(xml("search", {}, xml("strNEq", { name: "KEY", value: "x" }))).namesKey).toBe(true);
    for (const el of [
      xml("search", {}),
      xml("search", {}, xml("numMask", { name: "V", value: "1*" })),
      xml("search", {}, xml("strLike", { name: "V", value: "1" })),
      xml("search", { offset: "-1" }, xml("strEq", { name: "A", value: "b" })),
      xml("search", {}, xml("numEq", { name: "A", value: "b" })),
      xml("search", {}, xml("strRange", { name: "A", min: "a", max: "b", minIncluded: "maybe" })),
    ]) {
      expect(condition(() => parseSearch(el))).toBe("bad-request");
    }
    expect(parseSearch(xml("search", { maxCount: "100000" }, xml("strEq", { name: "A", value: "b" }))).maxCount).toBe(100);
  });
});

describe("claim URIs", () => {
  it("read back what thingd prints, with numbers, percent-encoding and the registry", () => {
    const uri = buildIotDiscoUri({ MAN: "example.com", MODEL: "Pi;Gateway=2", V: 1.5, KEY: "abc" }, "things.example.org");
    const parsed = parseClaimUri(uri);
    expect(parsed.registry).toBe("things.example.org");
    expect([...parsed.tags.values()]).toStrictEqual([
      { name: "MAN", type: "str", value: "example.com" },
      { name: "MODEL", type: "str", value: "Pi;Gateway=2" },
      { name: "V", type: "num", value: "1.5" },
      { name: "KEY", type: "str", value: "abc" },
    ]);
    expect(findClaimUri(`please claim ${uri} thanks`)).toBe(uri);
  });

  it("read the older IoTDisco; form with backslash escapes", () => {
    const parsed = parseClaimUri("IoTDisco;SN:3948;MAN:www.ktc.se;MODEL:I\\;MC;#V:1.2;KEY:4857");
    expect(parsed.tags.get("MODEL")?.value).toBe("I;MC");
    expect(parsed.tags.get("V")).toStrictEqual({ name: "V", type: "num", value: "1.2" });
  });

  it("refuse garbage with bad-request", () => {
    for (const u of ["iotdisco:", "iotdisco:SN", "iotdisco:%E0%A4%A=1", "iotdisco:SN<=5", "http://x", `iotdisco:${"A=1;".repeat(60)}`]) {
      expect(
        condition(() => parseClaimUri(u)),
        u,
      ).toBe("bad-request");
    }
  });
});

describe("claim limiter", () => {
  it("allows a burst of failures, then one per refill period, per JID", () => {
    let now = 0;
    const l = new ClaimLimiter({ burst: 3, refillMs: 1000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(l.allowed("a@x")).toBe(true);
      l.fail("a@x");
    }
    expect(l.allowed("a@x")).toBe(false);
    expect(l.allowed("b@x")).toBe(true);
    now = 999;
    expect(l.allowed("a@x")).toBe(false);
    now = 1000;
    expect(l.allowed("a@x")).toBe(true);
  });

  it("stays bounded under many JIDs", () => {
    const l = new ClaimLimiter({ maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) l.fail(`u${i}@x`);
    expect(l.size).toBe(100);
  });
});
