// Crash-test helper for test/agent/history/store-kill.test.ts: opens a HistoryStore on argv[2]
// and, as run number argv[3], appends batches of BATCH samples and flushes each one, printing
// `flushed=<run>:<batch>` after every flush returns, until it is killed. Sample t (and value)
// = base argv[4] + run * 1e6 + batch * BATCH + j, so the reader can tell exactly what is missing.
// Built by `npx tsc -p tsconfig.json` to dist/test/fakes/history-writer.js.
import { HistoryStore } from "../../agent/history/store.js";

export const BATCH = 20;
const [dir, runArg, baseArg] = process.argv.slice(2);
if (!dir || !runArg || !baseArg) {
  process.stderr.write("usage: history-writer <dir> <run> <base-ms>\n");
  process.exit(2);
}
const run = Number(runArg);
const base = Number(baseArg);
const store = new HistoryStore({ dir, keepMs: 3650 * 86_400_000, maxBytes: 1024 ** 3, flushMs: 60_000, flushSamples: 1_000_000 });
process.stdout.write("ready\n");
for (let batch = 0; ; batch++) {
  for (let j = 0; j < BATCH; j++) {
    const t = base + run * 1e6 + batch * BATCH + j;
    store.append("node", [{ type: "numeric", name: "v", value: t, unit: "", decimals: 0, timestamp: new Date(t) }]);
  }
  store.flush();
  process.stdout.write(`flushed=${run}:${batch}\n`);
  await new Promise((resolve) => setImmediate(resolve));
}
