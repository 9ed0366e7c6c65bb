// Crash safety of the history store: a writer appending and flushing in a loop is SIGKILLed
// again and again in the same folder; after every kill each batch it reported as flushed, in
// every run so far, must read back exactly, and no batch may come back half.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { HistoryStore } from "../../../agent/history/store.js";

const WRITER = fileURLToPath(new URL("../../../dist/test/fakes/history-writer.js", import.meta.url));
const BATCH = 20; // as in test/fakes/history-writer.ts
const KILLS = 30;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Run the writer as `run`, SIGKILL it `delayMs` after it is ready; resolves with its last acknowledged batch (-1: none). */
function runAndKill(dir: string, run: number, base: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dir, String(run), String(base)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let killed = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      const armed = out.includes("ready\n");
      out += chunk;
      if (!armed && out.includes("ready\n")) setTimeout(() => (killed = child.kill("SIGKILL")), delayMs);
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
    child.on("error", reject);
    child.on("close", (_code, signal) => {
      if (!killed || signal !== "SIGKILL") return reject(new Error(`writer ended unexpectedly (${signal}): ${err}`));
      const acks = [...out.matchAll(/^flushed=(\d+):(\d+)$/gm)].map((m) => Number(m[2]));
      resolve(acks.length ? Math.max(...acks) : -1);
    });
  });
}

describe("HistoryStore under SIGKILL", () => {
  it("keeps every flushed batch of every run intact", async () => {
    if (!existsSync(WRITER)) throw new Error(`${WRITER} is missing: run npx tsc -p tsconfig.json`);
    const dir = mkdtempSync(path.join(tmpdir(), "thingd-history-kill-"));
    dirs.push(dir);
    const base = Date.now() - 86_400_000;
    const acked: number[] = [];
    let totalAcked = 0;
    for (let run = 0; run < KILLS; run++) {
      acked.push(await runAndKill(dir, run, base, 5 + Math.floor(Math.random() * 80)));
      totalAcked += acked[run]! + 1;

      const store = new HistoryStore({ dir, keepMs: 3650 * 86_400_000, maxBytes: 1024 ** 3, flushMs: 60_000 });
      expect(store.corruptRecords, "at most one torn tail per killed run").toBeLessThanOrEqual(run + 1);
      const samples = store.query("node", new Set(), base, base + 1e9);
      store.close();
      const byBatch = new Map<string, number[]>();
      for (const s of samples) {
        expect(s.value).toBe(s.t);
        const rel = s.t - base;
        const key = `${Math.floor(rel / 1e6)}:${Math.floor((rel % 1e6) / BATCH)}`;
        byBatch.set(key, [...(byBatch.get(key) ?? []), rel % BATCH]);
      }
      // Whole batches only, no duplicates.
      for (const [key, js] of byBatch) expect(js, `batch ${key}`).toStrictEqual(Array.from({ length: BATCH }, (_, j) => j));
      // Every acknowledged batch of every run so far.
      for (const [r, last] of acked.entries()) {
        for (let b = 0; b <= last; b++) expect(byBatch.has(`${r}:${b}`), `run ${r} batch ${b} (acked up to ${last})`).toBe(true);
      }
    }
    console.log(`history-kill: ${KILLS} kills, ${totalAcked} acknowledged batches, all intact`);
    expect(totalAcked).toBeGreaterThan(KILLS); // the writer really flushed between kills
  }, 120_000);
});
