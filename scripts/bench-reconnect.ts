// `npm run bench:reconnect`: thingd's memory across many XMPP connection cycles of each cause
// (conflict, server kill, TLS failure, auth failure; see ./lib/reconnect-rig.ts). One real thingd
// per cause against a local Prosody, short back-off settings so the cycles run fast, memory read
// after a full GC every --every cycles. Prints the samples and one table: RSS and heap growth from
// the end of the warm-up (--warmup cycles) to the last cycle.
// Options: --cycles N (200), --every N (20), --warmup N (20), --cause NAME (repeatable; default all),
// --no-reconnect-settings (no `xmpp.reconnect` section: for a thingd from before it existed).
import { parseArgs } from "node:util";
import { startProsody } from "./lib/local-prosody.js";
import { CAUSES, runCycles, type Cause, type CycleResult } from "./lib/reconnect-rig.js";

const { values } = parseArgs({
  options: {
    cycles: { type: "string", default: "200" },
    every: { type: "string", default: "20" },
    warmup: { type: "string", default: "20" },
    cause: { type: "string", multiple: true },
    "no-reconnect-settings": { type: "boolean", default: false },
  },
});
const cycles = Number(values.cycles);
const every = Number(values.every);
const warmup = Number(values.warmup);
const causes = (values.cause ?? [...CAUSES]) as Cause[];
for (const c of causes) if (!CAUSES.includes(c)) throw new Error(`unknown cause ${c}; expected one of ${CAUSES.join(", ")}`);

const mb = (bytes: number) => (bytes / 1048576).toFixed(1);

function growth(r: CycleResult, from: number): { rss: number; heap: number; perCycleKiB: number } {
  const start = r.samples.find((s) => s.cycle >= from) ?? r.samples[0]!;
  const end = r.samples.at(-1)!;
  const n = Math.max(1, end.cycle - start.cycle);
  return { rss: end.rss - start.rss, heap: end.heapUsed - start.heapUsed, perCycleKiB: (end.rss - start.rss) / 1024 / n };
}

const server = await startProsody({
  users: [
    { user: "thing", password: "thing-pw" },
    { user: "owner", password: "owner-pw" },
  ],
});
const results: CycleResult[] = [];
try {
  for (const cause of causes) {
    const r = await runCycles({
      server,
      cause,
      cycles,
      every,
      password: "thing-pw",
      ...(values["no-reconnect-settings"] ? { reconnect: "" } : {}),
      progress: (t) => process.stderr.write(`${t}\n`),
    });
    results.push(r);
  }
} finally {
  await server.stop();
}

console.log(`thingd memory over XMPP connection cycles (after a full GC; Node ${process.version}; warm-up ${warmup} cycles)`);
for (const r of results) {
  console.log(
    `${r.cause}: ${r.samples.map((s) => `${s.cycle}:${mb(s.rawRss)}/${mb(s.rss)}/${mb(s.heapUsed)}`).join("  ")}  (cycle:RSS before GC/RSS/heap MB, ${r.seconds.toFixed(0)} s)`,
  );
}
console.log("");
console.log(
  "| cause       | cycles | RSS before GC, warm-up → end (MB) | RSS at warm-up → end (MB) | RSS growth (MB) | KiB/cycle | heap at warm-up → end (MB) | heap growth (MB) |",
);
console.log(
  "|-------------|--------|-----------------------------------|---------------------------|-----------------|-----------|----------------------------|------------------|",
);
for (const r of results) {
  const start = r.samples.find((s) => s.cycle >= warmup) ?? r.samples[0]!;
  const end = r.samples.at(-1)!;
  const g = growth(r, warmup);
  console.log(
    `| ${r.cause.padEnd(11)} | ${String(r.cycles).padStart(6)} | ${`${mb(start.rawRss)} → ${mb(end.rawRss)}`.padStart(33)} | ${`${mb(start.rss)} → ${mb(end.rss)}`.padStart(25)} | ${mb(g.rss).padStart(15)} | ${g.perCycleKiB.toFixed(1).padStart(9)} | ${`${mb(start.heapUsed)} → ${mb(end.heapUsed)}`.padStart(26)} | ${mb(g.heap).padStart(16)} |`,
  );
}
