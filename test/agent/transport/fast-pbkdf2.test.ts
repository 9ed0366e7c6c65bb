import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { fastHi } from "../../../agent/transport/fast-pbkdf2.js";

describe("fastHi", () => {
  it("matches RFC 6070 PBKDF2-HMAC-SHA1 test vectors", async () => {
    const hex = async (p: string, s: string, c: number) => Buffer.from(await fastHi(p, new TextEncoder().encode(s), c)).toString("hex");
    expect(await hex("password", "salt", 1)).toBe("0c60c80f961f0e71f3a9b524af6012062fe037a6");
    expect(await hex("password", "salt", 4096)).toBe("4b007901b765489abead49d926f721d065a429c1");
  });

  it("gives what sasl-scram-sha-1's own Hi gives", async () => {
    const require = createRequire(import.meta.url);
    const original = require("sasl-scram-sha-1/lib/bitops.js") as { Hi: typeof fastHi };
    // Unless createConnection() already swapped it in this process, this is the original.
    if (original.Hi === fastHi) throw new Error("expected the original Hi in this test process");
    const salt = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Buffer.from(await fastHi("pässwörd", salt, 500))).toStrictEqual(Buffer.from(await original.Hi("pässwörd", salt, 500)));
  });
});
