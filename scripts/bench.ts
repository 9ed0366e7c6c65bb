// `npm run bench`: thingd side by side with baselines on one local Prosody, in one run; prints
// ONE table of ratios with their targets (issue 7). Absolute times on a shared machine are
// noise; the ratios are the result. Baselines run as their own processes, like thingd:
//   - the do-nothing responder (scripts/dummy-responder.ts): the same IQ result + <fields>
//     message thingd sends for the same request, canned;
//   - a bare xmpp.js client answering pings (scripts/bare-client.ts), for memory and start-up.
// Options: --quick (short runs), --n (sequential samples), --total (rate-test requests),
// --soak (readouts in the memory soak), --cpu-seconds, --inflight.
import { setTimeout as sleep } from "node:timers/promises";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { xml, type Element } from "@xmpp/xml";
import { startProsody, type ProsodyServer } from "./lib/local-prosody.js";
import { ReaderClient } from "./lib/reader-client.js";
import { benchSensorMap } from "./lib/bench-config.js";
import { envAsDeployed, unitEnvironment } from "./lib/unit-env.js";
import { buildReadoutMessages } from "../agent/protocol/sensordata.js";
import { benchPeople } from "./bench-people.js";

const MAIN = fileURLToPath(new URL("../agent/main.js", import.meta.url));
const script = (name: string) => fileURLToPath(new URL(`./${name}.js`, import.meta.url));
const NS_IEEE = "urn:ieee:iot:sd:1.0";
const CLK_TCK = 100; // Linux USER_HZ

interface Row {
  name: string;
  value: string;
  target: string;
  pass: boolean | undefined;
}

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function sensorsYaml(n: number, fieldsPerSensor: number, every: string): string {
  const fields = Array.from({ length: fieldsPerSensor }, (_, i) =>
    i === 0 ? `      - { name: temperature, unit: "°C", value: 21.37, decimals: 2 }` : i === 1 ? `      - { name: humidity, unit: "%", value: 40.2, decimals: 1 }` : `      - { name: f${i}, unit: "%", value: ${i}.5, decimals: 1 }`,
  ).join("\n");
  return `sensors:\n${Array.from({ length: n }, (_, i) => `  - id: s${String(i + 1).padStart(2, "0")}\n    driver: simulated\n    every: ${every}\n    fields:\n${fields}\n`).join("")}`;
}

async function writeConfig(server: ProsodyServer, dir: string, resource: string, sensors: string): Promise<string> {
  const file = path.join(dir, `${resource}.yaml`);
  await writeFile(file, benchSensorMap(server, resource, sensors)); // with limits it never reaches
  return file;
}

/** thingd runs with the environment its systemd unit sets (Environment=...), as deployed. */
const UNIT_ENV = envAsDeployed(new URL("../../systemd/thingd.service", import.meta.url));
const UNIT_NODE_OPTIONS = unitEnvironment(new URL("../../systemd/thingd.service", import.meta.url)).NODE_OPTIONS ?? "";

function startThingd(config: string): ChildProcess {
  const args = [...(process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? []), MAIN, "run", "-c", config, "--log-level", "warn"];
  return spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"], env: UNIT_ENV });
}

function startBaseline(name: "dummy-responder" | "bare-client", server: ProsodyServer, user: string, resource: string, ...extra: string[]): ChildProcess {
  return spawn(process.execPath, [script(name), server.service, server.caFile, `${user}@localhost`, `${user}-pw`, resource, ...extra], { stdio: ["ignore", "pipe", "inherit"] });
}

/** p50 of `samples` readouts of every node (request → done), each checked for `fields` fields. */
async function wholeReadoutP50(reader: ReaderClient, to: string, fields: number, samples: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    const r = await reader.read(to, { momentary: "true" }, [], 30_000);
    if (r.fields.length !== fields) throw new Error(`${to}: got ${r.fields.length} fields, expected ${fields}`);
    times.push(performance.now() - t);
  }
  return p50(times);
}

/** 1,000 nodes × 5 fields from thingd and from the do-nothing responder (canned text) on `server`. */
async function scaleAgainstFloor(server: ProsodyServer, dir: string, reader: ReaderClient, tag: string, samples: number, children: ChildProcess[]): Promise<{ thing: number; floor: number }> {
  const child = startThingd(await writeConfig(server, dir, `${tag}1000`, sensorsYaml(1000, 5, "1h")));
  const floorChild = startBaseline("dummy-responder", server, "dummy", `${tag}1000`, "1000");
  children.push(child, floorChild);
  await ready(floorChild);
  await waitAnswers(reader, `thing@localhost/${tag}1000`);
  const thing = await wholeReadoutP50(reader, `thing@localhost/${tag}1000`, 5000, samples);
  const floor = await wholeReadoutP50(reader, `dummy@localhost/${tag}1000`, 5000, samples);
  await Promise.all([stopChild(child), stopChild(floorChild)]);
  return { thing, floor };
}

function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`baseline exited with ${code}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(5_000).then(() => child.kill("SIGKILL"))]);
}

async function rssKiB(pid: number): Promise<number> {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? NaN);
}

async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // field 3 onwards
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15)
}

async function interleaved(n: number, ops: Array<() => Promise<unknown>>): Promise<number[][]> {
  for (let i = 0; i < 30; i++) for (const op of ops) await op(); // warm-up
  const out = ops.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    for (const [k, op] of ops.entries()) {
      const t = performance.now();
      await op();
      out[k]!.push(performance.now() - t);
    }
  }
  return out;
}

async function rate(total: number, inflight: number, op: () => Promise<unknown>): Promise<number> {
  let started = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (started < total) {
        started++;
        await op();
      }
    }),
  );
  return total / ((performance.now() - t) / 1000);
}

/** Milliseconds from spawning `start()` until `to` answers a ping. */
async function startupMs(reader: ReaderClient, to: string, start: () => ChildProcess): Promise<{ ms: number; child: ChildProcess }> {
  const t = performance.now();
  const child = start();
  for (;;) {
    const r = await reader.iq(xml("iq", { type: "get", to }, xml("ping", { xmlns: "urn:xmpp:ping" })), 5_000).catch(() => undefined);
    if (r?.attrs.type === "result") return { ms: performance.now() - t, child };
    if (performance.now() - t > 30_000) throw new Error(`${to} did not come online`);
    await sleep(10);
  }
}

async function waitAnswers(reader: ReaderClient, to: string): Promise<void> {
  for (let i = 0; ; i++) {
    const r = await reader.read(to, { momentary: "true" }, [], 20_000).catch(() => undefined);
    if (r?.fields.length) return;
    if (i > 200) throw new Error(`${to} did not answer a readout`);
    await sleep(200);
  }
}

/** p50 of building and serialising a 1,000-node x 5-field readout in this process (thingd's code). */
function buildMs(): number {
  const timestamp = new Date();
  const nodes = Array.from({ length: 1000 }, (_, i) => ({
    nodeId: `s${i}`,
    fields: Array.from({ length: 5 }, (_, k) => ({ type: "numeric" as const, name: `f${k}`, value: 21.37 + k, unit: "°C" as const, decimals: 2, timestamp })),
  }));
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    for (const m of buildReadoutMessages("reader@localhost/bench", String(i), nodes, [])) m.toString();
    times.push(performance.now() - t);
  }
  return p50(times.slice(10));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      n: { type: "string" },
      total: { type: "string" },
      soak: { type: "string" },
      "cpu-seconds": { type: "string" },
      inflight: { type: "string", default: "16" },
    },
  });
  const q = values.quick;
  const n = Number(values.n ?? (q ? 150 : 500));
  const total = Number(values.total ?? (q ? 2_000 : 10_000));
  const soak = Number(values.soak ?? (q ? 10_000 : 100_000));
  const cpuSeconds = Number(values["cpu-seconds"] ?? (q ? 10 : 30));
  const inflight = Number(values.inflight);
  const rows: Row[] = [];
  const row = (name: string, value: number | string, target: string, pass: boolean | undefined, digits = 2) =>
    rows.push({ name, value: typeof value === "number" ? value.toFixed(digits) : value, target, pass });

  const server = await startProsody({ users: ["thing", "dummy", "bare", "reader"].map((u) => ({ user: u, password: `${u}-pw` })) });
  const dir = await mkdtemp(path.join(tmpdir(), "thingd-bench-"));
  const ca = await readFile(server.caFile, "utf8");
  const children: ChildProcess[] = [];
  try {
    const reader = await ReaderClient.connect({ service: server.service, domain: "localhost", jid: "reader@localhost", password: "reader-pw", ca });

    // --- Start-up: process start -> answers a ping (online), thingd vs a bare client; 3 each.
    const startCfg = await writeConfig(server, dir, "start", sensorsYaml(20, 2, "1s"));
    const thingStarts: number[] = [];
    const bareStarts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const b = await startupMs(reader, `bare@localhost/start${i}`, () => startBaseline("bare-client", server, "bare", `start${i}`));
      bareStarts.push(b.ms);
      await stopChild(b.child);
      const t = await startupMs(reader, "thing@localhost/start", () => startThingd(startCfg));
      thingStarts.push(t.ms);
      await stopChild(t.child);
    }

    // --- The main agent: 20 simulated sensors polled at 1 Hz; the two baselines.
    const THING = "thing@localhost/bench";
    const DUMMY = "dummy@localhost/bench";
    const BARE = "bare@localhost/bench";
    const agent = startThingd(await writeConfig(server, dir, "bench", sensorsYaml(20, 2, "1s")));
    children.push(agent);
    const dummy = startBaseline("dummy-responder", server, "dummy", "bench");
    const bare = startBaseline("bare-client", server, "bare", "bench");
    children.push(dummy, bare);
    await Promise.all([ready(dummy), ready(bare)]);
    await waitAnswers(reader, THING);

    // --- CPU with no requests.
    await sleep(2_000);
    const ticks0 = await cpuTicks(agent.pid!);
    await sleep(cpuSeconds * 1000);
    const cpuPct = ((await cpuTicks(agent.pid!)) - ticks0) / CLK_TCK / cpuSeconds * 100;

    const ping = (to: string) => () => reader.iq(xml("iq", { type: "get", to }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    // One node, two fields: exactly what the do-nothing responder sends back, canned.
    const readout = (to: string) => async () => {
      const r = await reader.read(to, { momentary: "true" }, [xml("node", { nodeId: "s01" })]);
      if (r.fields.length !== 2) throw new Error(`unexpected readout from ${to}: ${r.reply.toString().slice(0, 300)}`);
    };
    let ieeeSeq = 0;
    const ieeeReply = (to: string) => reader.iq(xml("iq", { type: "get", to }, xml("req", { xmlns: NS_IEEE, id: `b${++ieeeSeq}`, m: "true" }, xml("nd", { id: "s01" }))));
    const probe: Element = await ieeeReply(THING);
    const ieeeSupported = probe.attrs.type === "result";
    // The IEEE answer is one IQ result carrying <resp>; the do-nothing responder sends the same, canned.
    const ieee = (to: string) => async () => {
      const r = await ieeeReply(to);
      if (r.attrs.type !== "result" || !r.getChild("resp", NS_IEEE)) throw new Error(`IEEE readout from ${to} failed: ${r.toString().slice(0, 300)}`);
    };

    // --- Latency: interleaved sample by sample so drift hits every operation alike.
    const ops = [ping(THING), readout(THING), readout(DUMMY), ...(ieeeSupported ? [ieee(THING), ieee(DUMMY), ping(DUMMY)] : [])];
    const [pingT, thingT, dummyT, ieeeT, ieeeDummyT, pingDummyT] = (await interleaved(n, ops)).map(p50);

    // --- Rate at `inflight` in flight: alternate rounds, report the median round.
    const rounds = 5;
    const thingRates: number[] = [];
    const dummyRates: number[] = [];
    for (let i = 0; i < rounds; i++) {
      dummyRates.push(await rate(Math.ceil(total / rounds), inflight, readout(DUMMY)));
      thingRates.push(await rate(Math.ceil(total / rounds), inflight, readout(THING)));
    }

    // --- Memory soak: `soak` readouts; growth from 10 % in to the end; vs the bare client.
    const tenth = Math.ceil(soak / 10);
    const rssSeries: number[] = [];
    for (let i = 0; i < 10; i++) {
      await rate(tenth, inflight, readout(THING));
      rssSeries.push(await rssKiB(agent.pid!));
    }
    const rssEarly = rssSeries[0]!;
    await sleep(1_000);
    const rssEnd = await rssKiB(agent.pid!);
    await reader.iq(xml("iq", { type: "get", to: BARE }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    const rssBare = await rssKiB(bare.pid!);

    // --- Scale: one readout of every node, 10 / 100 / 1,000 nodes x 5 fields.
    const scale: Record<number, number> = {};
    for (const nodes of [10, 100, 1000]) {
      const child = startThingd(await writeConfig(server, dir, `scale${nodes}`, sensorsYaml(nodes, 5, "1h")));
      children.push(child);
      const to = `thing@localhost/scale${nodes}`;
      await waitAnswers(reader, to);
      const times: number[] = [];
      for (let i = 0; i < (q ? 10 : 30); i++) {
        const t = performance.now();
        const r = await reader.read(to, { momentary: "true" }, [], 30_000);
        if (r.fields.length !== nodes * 5) throw new Error(`scale ${nodes}: got ${r.fields.length} fields`);
        times.push(performance.now() - t);
      }
      scale[nodes] = p50(times);
      await stopChild(child);
    }
    // The floor of the 1,000-node readout on this (default) server, then both on a Prosody with
    // network_settings = { nagle = false } (TCP_NODELAY), to separate Nagle from thingd.
    const samples = q ? 10 : 30;
    const scaleDefault = await scaleAgainstFloor(server, dir, reader, "floor", samples, children);
    const tunedServer = await startProsody({ nagle: false, users: ["thing", "dummy", "reader"].map((u) => ({ user: u, password: `${u}-pw` })) });
    let scaleTuned: { thing: number; floor: number };
    try {
      const tunedReader = await ReaderClient.connect({ service: tunedServer.service, domain: "localhost", jid: "reader@localhost", password: "reader-pw", ca: await readFile(tunedServer.caFile, "utf8") });
      scaleTuned = await scaleAgainstFloor(tunedServer, dir, tunedReader, "tuned", samples, children);
      await tunedReader.stop();
    } finally {
      await tunedServer.stop();
    }

    row("readout p50 ÷ do-nothing p50", thingT! / dummyT!, "≤ 1.20", thingT! / dummyT! <= 1.2);
    const rateRatio = p50(thingRates) / p50(dummyRates);
    row(`readouts/s at ${inflight} in flight ÷ do-nothing`, rateRatio, "≥ 0.85", rateRatio >= 0.85);
    if (ieeeSupported) {
      row("IEEE readout p50 ÷ ping p50", ieeeT! / pingT!, "≤ 1.30", ieeeT! / pingT! <= 1.3);
      // The floor of that row: the same canned answer from the do-nothing responder, ÷ a ping to it.
      row("  floor: do-nothing IEEE p50 ÷ its ping p50", ieeeDummyT! / pingDummyT!, "", undefined);
      row("  IEEE readout p50 ÷ do-nothing IEEE p50", ieeeT! / ieeeDummyT!, "", undefined);
    }
    else row("IEEE readout p50 ÷ ping p50", "n/a (dialect not supported)", "≤ 1.30", undefined);
    row(`RSS after ${soak} readouts ÷ bare client RSS`, rssEnd / rssBare, "≤ 1.15", rssEnd / rssBare <= 1.15);
    const growth = ((rssEnd - rssEarly) / rssEarly) * 100;
    row("RSS growth during the soak (%)", growth, "< 5", growth < 5, 1);
    const startRatio = p50(thingStarts) / p50(bareStarts);
    row("start → online (answers ping) ÷ bare client", startRatio, "≤ 1.30", startRatio <= 1.3);
    row("readout of 1,000 nodes × 5 fields (ms, p50)", scale[1000]!, "≤ 50", scale[1000]! <= 50, 1);
    row("  thingd's share: build + serialise 1,000 × 5 (ms)", buildMs(), "", undefined, 1);
    row("  floor: do-nothing, same 1,000 × 5 canned (ms, p50)", scaleDefault.floor, "", undefined, 1);
    row("  1,000 × 5 readout ÷ floor", scaleDefault.thing / scaleDefault.floor, "", undefined);
    row("  Prosody with nagle = false: thingd (ms, p50)", scaleTuned.thing, "≤ 50", scaleTuned.thing <= 50, 1);
    row("  Prosody with nagle = false: floor (ms, p50)", scaleTuned.floor, "", undefined, 1);
    row("  growth 10 → 100 → 1,000 nodes (ms)", `${scale[10]!.toFixed(1)} → ${scale[100]!.toFixed(1)} → ${scale[1000]!.toFixed(1)}`, "", undefined);
    row("CPU, 20 sensors at 1 Hz, no requests (% of a core)", cpuPct, "≤ 2", cpuPct <= 2);

    // Pushed values (event subscriptions): its own Prosody and Thing, see scripts/bench-people.ts.
    for (const r of await benchPeople({ quick: q })) row(r.name, r.value, r.target, r.pass);
    const w = [Math.max(...rows.map((r) => r.name.length)), Math.max(...rows.map((r) => r.value.length)), 7];
    console.log(`\nthingd benchmark (${q ? "--quick, " : ""}thingd with NODE_OPTIONS="${UNIT_NODE_OPTIONS}" from its unit; Prosody on loopback; n=${n} sequential, ${total} at ${inflight} in flight, soak ${soak}, CPU over ${cpuSeconds} s)`);
    console.log(`| ${"measure".padEnd(w[0]!)} | ${"value".padStart(w[1]!)} | ${"target".padEnd(w[2]!)} | result |`);
    console.log(`|${"-".repeat(w[0]! + 2)}|${"-".repeat(w[1]! + 2)}|${"-".repeat(w[2]! + 2)}|--------|`);
    for (const r of rows) console.log(`| ${r.name.padEnd(w[0]!)} | ${r.value.padStart(w[1]!)} | ${r.target.padEnd(w[2]!)} | ${r.pass === undefined ? "  -   " : r.pass ? " pass " : " FAIL "} |`);
    console.log(`\nraw: ping ${pingT!.toFixed(2)} ms, readout ${thingT!.toFixed(2)} ms, do-nothing ${dummyT!.toFixed(2)} ms${ieeeSupported ? `, IEEE ${ieeeT!.toFixed(2)} ms, do-nothing IEEE ${ieeeDummyT!.toFixed(2)} ms, do-nothing ping ${pingDummyT!.toFixed(2)} ms` : ""}; ` +
      `rate thingd ${p50(thingRates).toFixed(0)}/s vs ${p50(dummyRates).toFixed(0)}/s; RSS ${rssEarly} → ${rssEnd} KiB vs bare ${rssBare} KiB; ` +
      `start ${p50(thingStarts).toFixed(0)} ms vs bare ${p50(bareStarts).toFixed(0)} ms\nRSS every ${tenth} readouts (KiB): ${rssSeries.join(" ")}`);
    await reader.stop();
  } finally {
    await Promise.all(children.map(stopChild));
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error("bench failed:", err);
    process.exit(1);
  },
);
