// `node dist/scripts/bench-startup.js [--n 5] [--sensors 20]`: only the start-up row of the
// benchmark, for iterating on start-up time: process spawn → answers a ping to its full JID,
// thingd vs the bare client, alternated; prints every sample and the p50s.
// BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles each thingd start.
import { setTimeout as sleep } from "node:timers/promises";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { xml } from "@xmpp/xml";
import { startProsody } from "./lib/local-prosody.js";
import { ReaderClient } from "./lib/reader-client.js";
import { localXmppSection } from "./lib/sensor-map-yaml.js";

const MAIN = process.env.BENCH_THINGD_MAIN ?? fileURLToPath(new URL("../agent/main.js", import.meta.url));
const BARE = fileURLToPath(new URL("./bare-client.js", import.meta.url));
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(5_000).then(() => child.kill("SIGKILL"))]);
}

async function startupMs(reader: ReaderClient, to: string, start: () => ChildProcess): Promise<number> {
  const t = performance.now();
  const child = start();
  try {
    for (;;) {
      const r = await reader.iq(xml("iq", { type: "get", to }, xml("ping", { xmlns: "urn:xmpp:ping" })), 5_000).catch(() => undefined);
      if (r?.attrs.type === "result") return performance.now() - t;
      if (performance.now() - t > 30_000) throw new Error(`${to} did not come online`);
      await sleep(10);
    }
  } finally {
    await stopChild(child);
  }
}

const { values } = parseArgs({ options: { n: { type: "string", default: "5" }, sensors: { type: "string", default: "20" } } });
const n = Number(values.n);
const server = await startProsody({ users: ["thing", "bare", "reader"].map((u) => ({ user: u, password: `${u}-pw` })) });
const dir = await mkdtemp(path.join(tmpdir(), "thingd-bench-startup-"));
try {
  const reader = await ReaderClient.connect({ service: server.service, domain: "localhost", jid: "reader@localhost", password: "reader-pw", ca: await readFile(server.caFile, "utf8") });
  const sensors = Array.from({ length: Number(values.sensors) }, (_, i) => `  - id: s${i + 1}\n    driver: simulated\n    every: 1s\n    fields:\n      - { name: temperature, unit: "°C", value: 21.37, decimals: 2 }\n`).join("");
  const config = path.join(dir, "start.yaml");
  await writeFile(config, `${localXmppSection(server, { resource: "start" })}access:\n  owner: reader@localhost\nstate_dir: ./state-start\nsensors:\n${sensors}`);
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const thing: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < n; i++) {
    bare.push(await startupMs(reader, `bare@localhost/s${i}`, () => spawn(process.execPath, [BARE, server.service, server.caFile, "bare@localhost", "bare-pw", `s${i}`], { stdio: "ignore" })));
    thing.push(await startupMs(reader, "thing@localhost/start", () => spawn(process.execPath, [...nodeArgs, MAIN, "run", "-c", config, "--log-level", "warn"], { stdio: ["ignore", "ignore", "inherit"] })));
    console.log(`start ${i}: thingd ${thing.at(-1)!.toFixed(0)} ms, bare ${bare.at(-1)!.toFixed(0)} ms`);
  }
  console.log(`p50: thingd ${p50(thing).toFixed(0)} ms, bare ${p50(bare).toFixed(0)} ms, ratio ${(p50(thing) / p50(bare)).toFixed(2)} (target ≤ 1.30)`);
  await reader.stop();
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
