// `node dist/scripts/bench-scale.js [--samples 15]`: the whole-readout scale rows alone, on a
// default Prosody and on one with network_settings = { nagle = false } (TCP_NODELAY): thingd with
// 10 and 1,000 simulated nodes × 5 fields, and the do-nothing responder writing the same payload
// canned (the floor). Separates what Nagle + delayed ACK cost from what thingd costs.
import { setTimeout as sleep } from "node:timers/promises";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startProsody, type ProsodyServer } from "./lib/local-prosody.js";
import { ReaderClient } from "./lib/reader-client.js";
import { localXmppSection } from "./lib/sensor-map-yaml.js";

const MAIN = fileURLToPath(new URL("../agent/main.js", import.meta.url));
const DUMMY = fileURLToPath(new URL("./dummy-responder.js", import.meta.url));
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function sensorsYaml(n: number): string {
  const fields = [`      - { name: temperature, unit: "°C", value: 21.37, decimals: 2 }`, `      - { name: humidity, unit: "%", value: 40.2, decimals: 1 }`, ...[2, 3, 4].map((i) => `      - { name: f${i}, unit: "%", value: ${i}.5, decimals: 1 }`)].join("\n");
  return `sensors:\n${Array.from({ length: n }, (_, i) => `  - id: s${String(i + 1).padStart(2, "0")}\n    driver: simulated\n    every: 1h\n    fields:\n${fields}\n`).join("")}`;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(5_000).then(() => child.kill("SIGKILL"))]);
}

async function wholeReadoutP50(reader: ReaderClient, to: string, fields: number, samples: number): Promise<number> {
  for (let i = 0; ; i++) {
    const r = await reader.read(to, { momentary: "true" }, [], 20_000).catch(() => undefined);
    if (r?.fields.length === fields) break;
    if (i > 100) throw new Error(`${to} did not answer`);
    await sleep(200);
  }
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    const r = await reader.read(to, { momentary: "true" }, [], 30_000);
    if (r.fields.length !== fields) throw new Error(`${to}: got ${r.fields.length} fields`);
    times.push(performance.now() - t);
  }
  return p50(times);
}

async function measure(server: ProsodyServer, dir: string, samples: number): Promise<Record<string, number>> {
  const reader = await ReaderClient.connect({ service: server.service, domain: "localhost", jid: "reader@localhost", password: "reader-pw", ca: await readFile(server.caFile, "utf8") });
  const out: Record<string, number> = {};
  try {
    for (const nodes of [10, 1000]) {
      const resource = `scale${nodes}`;
      const config = path.join(dir, `${resource}-${server.c2sPort}.yaml`);
      await writeFile(config, `${localXmppSection(server, { resource })}access:\n  owner: reader@localhost\nstate_dir: ./state-${resource}-${server.c2sPort}\n${sensorsYaml(nodes)}`);
      const thing = spawn(process.execPath, [MAIN, "run", "-c", config, "--log-level", "warn"], { stdio: ["ignore", "ignore", "inherit"] });
      const floor = spawn(process.execPath, [DUMMY, server.service, server.caFile, "dummy@localhost", "dummy-pw", resource, String(nodes)], { stdio: ["ignore", "pipe", "inherit"] });
      try {
        await new Promise((r) => floor.stdout!.once("data", r));
        out[`thingd ${nodes}`] = await wholeReadoutP50(reader, `thing@localhost/${resource}`, nodes * 5, samples);
        out[`floor ${nodes}`] = await wholeReadoutP50(reader, `dummy@localhost/${resource}`, nodes * 5, samples);
      } finally {
        await Promise.all([stopChild(thing), stopChild(floor)]);
      }
    }
  } finally {
    await reader.stop();
  }
  return out;
}

const { values } = parseArgs({ options: { samples: { type: "string", default: "15" } } });
const dir = await mkdtemp(path.join(tmpdir(), "thingd-bench-scale-"));
const users = ["thing", "dummy", "reader"].map((u) => ({ user: u, password: `${u}-pw` }));
try {
  for (const nagle of [true, false]) {
    const server = await startProsody({ users, nagle });
    try {
      const r = await measure(server, dir, Number(values.samples));
      console.log(`Prosody nagle=${nagle}: ${Object.entries(r).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(", ")}`);
    } finally {
      await server.stop();
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
