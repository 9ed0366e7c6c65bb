import { describe, expect, it } from "vitest";
import { capsVer } from "../../../agent/protocol/caps.js";

describe("XEP-0115 verification string", () => {
  it("matches the specification's simple example (§5.2)", () => {
    const ver = capsVer(
      [{ category: "client", type: "pc", name: "Exodus 0.9.1" }],
      ["http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items", "http://jabber.org/protocol/muc"],
    );
    expect(ver).toBe("QgayPKawpkPSDYmwT/WM94uAlu0=");
  });
});
