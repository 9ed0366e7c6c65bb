// SCRAM-SHA-1's salted password (RFC 5802 Hi() = PBKDF2-HMAC-SHA-1) in one native call.
// sasl-scram-sha-1 1.3 computes it as `iterations` sequential WebCrypto importKey+sign round
// trips: with Prosody's 10,000 iterations that is 1.1-2.3 s per login on a loaded x86 core
// (measured, test/chaos/server-crash) and far more on a Pi, which alone broke "online within 2 s
// of the server coming back". Node's pbkdf2 runs in the libuv pool and takes a few ms.
// The module calls `bitops.Hi(...)` through its exports object, so replacing the export works.
import { createRequire } from "node:module";
import { pbkdf2 } from "node:crypto";
import { promisify } from "node:util";

type Hi = (text: string, salt: Uint8Array, iterations: number) => Promise<Uint8Array>;

const pbkdf2Async = promisify(pbkdf2);
let installed = false;

export const fastHi: Hi = async (text, salt, iterations) => new Uint8Array(await pbkdf2Async(text, salt, iterations, 20, "sha1"));

/** Idempotent; called by createConnection(). */
export function installFastPbkdf2(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  const bitops = require("sasl-scram-sha-1/lib/bitops.js") as { Hi: Hi };
  bitops.Hi = fastHi;
}
