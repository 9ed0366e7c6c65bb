// Chaos: 200 XMPP connection cycles of each cause against the real thingd process — another
// client logging in with its full JID (conflict), the server connection dying abruptly, a TLS
// handshake failing (wrong CA), a refused password — with short back-off settings so the cycles
// run fast. Memory is read after a full GC (scripts/lib/memory-probe.ts): after 100 warm-up
// cycles RSS must grow < 10 MB over the next 200 and the JS heap < 3 MB. Each cause also logs
// what it should. The warm-up is long because V8 compiles the hot reconnect path with its
// optimising tier somewhere in the first ~70 cycles: a one-off RSS step of 7–8 MB that a
// --jitless run does not show (docs/benchmarks.md "Reconnect memory"); a leak keeps growing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { runCycles, type Cause, type CycleResult } from "../../scripts/lib/reconnect-rig.js";

const WARMUP = 100;
const CYCLES = WARMUP + Number(process.env.CHAOS_CYCLES ?? 200);
const MB = 1024 * 1024;

let server: ProsodyServer;

beforeAll(async () => {
  server = await startProsody({
    users: [
      { user: "thing", password: "thing-pw" },
      { user: "owner", password: "owner-pw" },
    ],
  });
});

afterAll(() => server?.stop());

async function cycles(cause: Cause): Promise<CycleResult> {
  const r = await runCycles({ server, cause, cycles: CYCLES, every: WARMUP, password: "thing-pw" });
  const start = r.samples.find((s) => s.cycle === WARMUP)!;
  const end = r.samples.at(-1)!;
  console.log(
    `${cause}: ${r.cycles} cycles in ${r.seconds.toFixed(0)} s; RSS ${(start.rss / MB).toFixed(1)} → ${(end.rss / MB).toFixed(1)} MB, ` +
      `heap ${(start.heapUsed / MB).toFixed(1)} → ${(end.heapUsed / MB).toFixed(1)} MB (after GC, from cycle ${WARMUP})`,
  );
  expect(end.cycle).toBe(CYCLES);
  expect(end.rss - start.rss).toBeLessThan(10 * MB);
  expect(end.heapUsed - start.heapUsed).toBeLessThan(3 * MB);
  return r;
}

const CONFLICT = "another client logged in as thing@localhost/gateway — two boards with the same identity? a cloned image?";
const AUTH = "authentication failed for thing@localhost: check the password file";

describe(`${CYCLES} connection cycles per cause: memory stays flat after the warm-up`, () => {
  it("conflict: a second client logs in with the same full JID", async () => {
    const r = await cycles("conflict");
    // One error per kick, naming the likely cause; nothing else at error level.
    expect(r.errors.get(CONFLICT)).toBe(CYCLES);
    expect([...r.errors.keys()]).toStrictEqual([CONFLICT]);
  }, 420_000);

  it("server kill: the connection dies abruptly, connects are refused for a moment", async () => {
    const r = await cycles("server-kill");
    expect([...r.errors.keys()]).toStrictEqual([]);
  }, 420_000);

  it("TLS failure: thingd trusts the wrong CA", async () => {
    const r = await cycles("tls");
    expect([...r.errors.keys()]).toStrictEqual([]); // an unreachable or untrusted server is an outage: warn level
  }, 420_000);

  it("auth failure: wrong password, one error per attempt", async () => {
    const r = await cycles("auth");
    // Every attempt is one cycle and one error line; the run stops at cycle CYCLES (+ the
    // attempts between the last sample's request and the stop).
    expect(r.errors.get(AUTH)).toBeGreaterThanOrEqual(CYCLES + 1);
    expect([...r.errors.keys()]).toStrictEqual([AUTH]);
  }, 420_000);
});
