// Crash safety of StateStore: a writer process rewriting the state as fast as it can is killed
// with SIGKILL at random moments; after every kill the state must load with the original KEY.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { parseState, STATE_FILE, StateStore, type ThingState } from "../../../agent/ownership/state.js";

const WRITER = fileURLToPath(new URL("../../../dist/test/fakes/state-writer.js", import.meta.url));
const silentLog = pino({ level: "silent" });

const ITERATIONS = 200;
// ~200 ms per iteration on an idle 2-core box (node start-up dominates), so 200 kills take ~40 s.
// The count is fixed, not the time: a busy machine only makes it slower (the timeout is wide).

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/**
 * Start the writer, wait for its `key=` line, let it write for `delayMs`, then SIGKILL it.
 * Resolves with the key it printed once it has exited.
 */
function runAndKill(dir: string, delayMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dir], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let key: string | undefined;
    let killed = false;
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const m = /^key=([0-9a-f]{32})$/m.exec(out);
      if (m && key === undefined) {
        key = m[1];
        // Armed only now: the writer has loaded the state and is in its update loop.
        setTimeout(() => {
          killed = child.kill("SIGKILL");
        }, delayMs);
      }
    });
    child.stderr.on("data", (chunk: string) => (err += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (!killed || signal !== "SIGKILL" || key === undefined) {
        reject(new Error(`writer ended unexpectedly (code ${code}, signal ${signal}, key ${key ?? "none"}): ${err}`));
      } else {
        resolve(key);
      }
    });
  });
}

async function tryParse(file: string): Promise<ThingState | undefined> {
  try {
    return parseState(await readFile(file, "utf8"));
  } catch {
    return undefined;
  }
}

describe("StateStore under SIGKILL", () => {
  it("always reloads with the original KEY and a valid status", async () => {
    if (!existsSync(WRITER)) throw new Error(`${WRITER} is missing: run npx tsc -p tsconfig.json`);
    const dir = await mkdtemp(path.join(tmpdir(), "thingd-state-kill-"));
    dirs.push(dir);
    const main = path.join(dir, STATE_FILE);
    const bak = `${main}.bak`;

    const started = Date.now();
    let firstKey: string | undefined;
    let iterations = 0;
    let bakFallbacks = 0;
    let bakMissing = 0;
    while (iterations < ITERATIONS) {
      const delay = 5 + Math.floor(Math.random() * 36); // 5..40 ms
      const printed = await runAndKill(dir, delay);
      firstKey ??= printed;
      expect(printed, `iteration ${iterations}: writer printed a different KEY`).toBe(firstKey);

      const fromMain = await tryParse(main);
      const fromBak = await tryParse(bak);
      if (!fromMain) bakFallbacks++;
      if (!fromBak) bakMissing++;
      expect(fromMain ?? fromBak, `iteration ${iterations}: neither ${STATE_FILE} nor .bak parses`).toBeDefined();

      const loaded = await new StateStore(dir, silentLog).load();
      expect(loaded.key, `iteration ${iterations}: KEY changed after kill`).toBe(firstKey);
      expect(["UNREGISTERED", "REGISTERED", "CLAIMED"]).toContain(loaded.status);
      expect((await readdir(dir)).filter((f) => /\.tmp(-\d+)?$/.test(f)), "load() removes leftover temp files").toStrictEqual([]);
      iterations++;
    }

    const leftovers = (await readdir(dir)).filter((f) => /\.tmp-\d+$/.test(f));
    const elapsed = Date.now() - started;
    console.log(
      `state-kill: ${iterations} kills in ${elapsed} ms; main file unreadable (fell back to .bak) ${bakFallbacks}x; ` +
        `.bak unreadable/missing ${bakMissing}x; leftover *.tmp-<pid> files: ${leftovers.length}` +
        (leftovers.length ? ` (${leftovers.slice(0, 5).join(", ")}${leftovers.length > 5 ? ", ..." : ""})` : ""),
    );
    expect(iterations).toBe(ITERATIONS);
  }, 400_000);
});
