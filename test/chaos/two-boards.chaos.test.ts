// Chaos: two boards cloned from one SD card — two thingd processes with one identity (same JID
// and resource, default back-off settings) on one server for 60 s. Each kicks the other off
// (stream error <conflict/>). Neither may flap: each reconnects at most a handful of times and
// logs the conflict error once per back-off step, with a growing delay; meanwhile both keep
// polling their sensors, and `thingd status` says what is going on.
import { execFile } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { runProbedThingd, type LogLine, type ThingdRun } from "../../scripts/lib/reconnect-rig.js";
import { MAIN } from "../helpers/agent-process.js";

const CONFLICT = "another client logged in as thing@localhost/gateway — two boards with the same identity? a cloned image?";
const RUN_MS = 60_000;

let server: ProsodyServer;
let dir: string;
const boards: Array<{ name: string; config: string; run: ThingdRun }> = [];

beforeAll(async () => {
  server = await startProsody({ users: [{ user: "thing", password: "thing-pw" }] });
  dir = await mkdtemp(path.join(tmpdir(), "thingd-two-boards-"));
  for (const name of ["a", "b"]) {
    await mkdir(path.join(dir, name));
    const config = path.join(dir, name, "sensors.yaml");
    await writeFile(
      config,
      `xmpp:
  service: ${server.service}
  jid: thing@localhost
  password: thing-pw
  resource: gateway
  tls: { ca: ${server.caFile} }
access:
  owner: owner@localhost
state_dir: ./state
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", value: 21.4, decimals: 2 }] }
`,
      // Not world-readable: a map with an inline password would otherwise be warned about.
      { mode: 0o600 },
    );
    boards.push({ name, config, run: runProbedThingd(config, "info", `thingd ${name}`) });
    // The second board starts once the first is online: it then kicks the first one off.
    await boards[0]!.run.waitFor(() => boards[0]!.run.count((l) => l.msg === "online") > 0, 30_000, "board a online");
  }
});

afterAll(async () => {
  await Promise.all(boards.map((b) => b.run.stop()));
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function status(config: string): Promise<{ text: string; json: any }> {
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, [MAIN, "status", "-c", config, ...args]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? "" }));
  const [text, json] = await Promise.all([run([]), run(["--json"])]);
  return { text: text.stdout, json: JSON.parse(json.stdout) };
}

describe("two boards with one identity", () => {
  it(
    `neither flaps over ${RUN_MS / 1000} s: a handful of reconnects, one conflict error per back-off step, sensors keep polling`,
    async () => {
      const started = Date.now();
      let sawStatus = false;
      while (Date.now() - started < RUN_MS) {
        await sleep(2_000);
        // Whichever board is kicked off right now says so in `thingd status`.
        for (const b of boards) {
          if (sawStatus || b.run.count((l) => l.msg === CONFLICT) === 0) continue;
          const { text, json } = await status(b.config);
          const snapshot = json.snapshot;
          if (snapshot?.xmpp.state === "online") continue;
          expect(snapshot.xmpp.problem).toMatchObject({ kind: "conflict", summary: "replaced by another login", detail: CONFLICT });
          expect(text).toContain("replaced by another login");
          expect(text).toContain("two boards with the same identity?");
          // Still polling while kicked off: the sensor's last reading is fresh.
          expect(snapshot.sensors[0].ageSeconds).toBeLessThanOrEqual(3);
          sawStatus = true;
        }
      }
      for (const b of boards) {
        const online = b.run.count((l) => l.msg === "online");
        const conflicts = b.run.lines.filter((l) => l.msg === CONFLICT);
        const summary = `${b.name}: ${online} sessions, conflict errors at attempts ${conflicts.map((l) => `${String(l.attempt)} (retry in ${String(l.retryInMs)} ms)`).join(", ")}`;
        console.log(summary);
        expect(online, summary).toBeGreaterThanOrEqual(1);
        expect(online, summary).toBeLessThanOrEqual(5);
        // One error line per back-off step: attempts 1, 2, 3, ... and the delay grows with them
        // (equal jitter: between half and all of 30 s × 2^(attempt-1)).
        expect(
          conflicts.map((l) => l.attempt),
          summary,
        ).toStrictEqual(conflicts.map((_, i) => i + 1));
        for (const l of conflicts) {
          const ceiling = 30_000 * 2 ** ((l.attempt as number) - 1);
          expect(l.retryInMs as number, summary).toBeGreaterThanOrEqual(ceiling / 2);
          expect(l.retryInMs as number, summary).toBeLessThanOrEqual(ceiling);
        }
        // Nothing else at warn or error level about the connection, no error of another kind,
        // and nothing said once per session: the registry search's warning comes once.
        // (A session cut short during its registry search may add a registry warning; not the connection's.)
        const noise = b.run.lines.filter((l: LogLine) => l.level >= 40 && l.msg !== CONFLICT && l.module !== "registry");
        expect(
          noise.map((l) => `${String(l.module)}: ${l.msg}`),
          summary,
        ).toStrictEqual([]);
        expect(
          b.run.count((l) => l.level >= 40 && /no Thing Registry found/.test(l.msg)),
          summary,
        ).toBeLessThanOrEqual(1);
        expect(
          b.run.count((l) => l.level >= 50 && l.msg !== CONFLICT),
          summary,
        ).toBe(0);
      }
      // Both were kicked off at least once (b kicked a at start; a came back and kicked b).
      expect(boards.map((b) => b.run.count((l) => l.msg === CONFLICT) >= 1)).toStrictEqual([true, true]);
      expect(sawStatus).toBe(true);
    },
    RUN_MS + 60_000,
  );
});
