import { describe, expect, it } from "vitest";
import { buildIotDiscoUri } from "../../../agent/protocol/iotdisco.js";

describe("buildIotDiscoUri", () => {
  it("builds the docs/protocol.md §2.5 example", () => {
    expect(
      buildIotDiscoUri(
        { SN: "00000000a1b2c3d4", MAN: "example.com", MODEL: "PiGateway", V: 1.5, KEY: "3f9c0000000000000000000000a2d1" },
        "registry.example.org",
      ),
    ).toBe("iotdisco:SN=00000000a1b2c3d4;MAN=example.com;MODEL=PiGateway;#V=1.5;KEY=3f9c0000000000000000000000a2d1;R=registry.example.org");
  });

  it("prefixes numeric tag names with # and writes numbers plainly", () => {
    expect(buildIotDiscoUri({ LAT: 59.3293, LON: -18.0686, ALT: 0, V: 1.0 })).toBe("iotdisco:#LAT=59.3293;#LON=-18.0686;#ALT=0;#V=1");
  });

  it("keeps a numeric-looking string a string (no #)", () => {
    expect(buildIotDiscoUri({ V: "1.0" })).toBe("iotdisco:V=1.0");
  });

  it("percent-encodes names and values, including ; = # and spaces", () => {
    expect(buildIotDiscoUri({ NAME: "a;b=c#d e", ROOM: "Kök 2/3", "X%Y": "100%" }, "reg@example.org")).toBe(
      "iotdisco:NAME=a%3Bb%3Dc%23d%20e;ROOM=K%C3%B6k%202%2F3;X%25Y=100%25;R=reg%40example.org",
    );
  });

  it("puts the registry last as R, once, and omits it when not given", () => {
    expect(buildIotDiscoUri({ R: "other", SN: "1" }, "registry.example.org")).toBe("iotdisco:SN=1;R=registry.example.org");
    expect(buildIotDiscoUri({ SN: "1" })).toBe("iotdisco:SN=1");
    expect(buildIotDiscoUri({}, "r.example")).toBe("iotdisco:R=r.example");
    expect(buildIotDiscoUri({})).toBe("iotdisco:");
  });

  it("rejects non-finite numbers", () => {
    expect(() => buildIotDiscoUri({ V: Number.NaN })).toThrow(/finite/);
  });
});
