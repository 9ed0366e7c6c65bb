// Preloaded into a thingd process by the reconnect benchmark and the chaos tests
// (`node --expose-gc --import <this file> dist/agent/main.js run ...`): on SIGUSR2 it runs a full
// garbage collection, lets native finalizers run, and writes one JSON line with the process's
// memory to stderr, before (rawRss, rawHeapUsed) and after the GC (rss, heapUsed, external). stderr keeps
// it apart from the JSON log on stdout. Not part of thingd itself.
import { writeSync } from "node:fs";
import { setImmediate as tick } from "node:timers/promises";

const gc = (globalThis as { gc?: () => void }).gc;
let seq = 0;

async function measure(): Promise<void> {
  const raw = process.memoryUsage(); // as the process runs, before the forced GC
  for (let i = 0; i < 3; i++) {
    gc?.();
    await tick(); // weak callbacks of native objects (sockets, TLS contexts) run after the GC
  }
  const m = process.memoryUsage();
  const line = {
    memoryProbe: ++seq,
    gc: gc !== undefined,
    rawRss: raw.rss,
    rawHeapUsed: raw.heapUsed,
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
  writeSync(2, `${JSON.stringify(line)}\n`);
}

process.on("SIGUSR2", () => {
  measure().catch((err: unknown) => writeSync(2, `memory probe failed: ${String(err)}\n`));
});
