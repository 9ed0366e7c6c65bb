// Crash safety of the registry's journal: a writer claiming Things as fast as it can is killed
// with SIGKILL at random moments; after every kill the state loads, and every claim the writer
// had acknowledged (its line on disk) is there with its owner.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { readState } from "../../registry/store/journal.js";
import { recordKey } from "../../registry/store/record.js";

const WRITER = fileURLToPath(new URL("../../dist/test/fakes/registry-journal-writer.js", import.meta.url));
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function runAndKill(dir: string, delayMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dir], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let armed = false;
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      if (!armed && out.includes("loaded")) {
        armed = true;
        setTimeout(() => child.kill("SIGKILL"), delayMs);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
    child.on("close", (_code, signal) => {
      if (signal !== "SIGKILL") return reject(new Error(`writer ended without SIGKILL: ${err}`));
      resolve([...out.matchAll(/^acked (\d+)$/gm)].map((m) => Number(m[1])));
    });
  });
}

describe("registry journal under SIGKILL", () => {
  it("keeps every acknowledged claim across 25 kills", async () => {
    if (!existsSync(WRITER)) throw new Error(`${WRITER} is missing: run npx tsc -p tsconfig.json`);
    const dir = await mkdtemp(path.join(tmpdir(), "thingd-registry-kill-"));
    dirs.push(dir);
    const acked = new Set<number>();
    for (let k = 0; k < 25; k++) {
      for (const i of await runAndKill(dir, 20 + Math.floor(Math.random() * 200))) acked.add(i);
      const state = await readState(dir, (t) => recordKey(t.jid, t));
      for (const i of acked) expect(state.things.get(recordKey(`t${i}@localhost`, {}))?.owner, `claim ${i} after kill ${k}`).toBe(`o${i}@localhost`);
    }
    expect(acked.size).toBeGreaterThan(25);
  }, 180_000);
});
