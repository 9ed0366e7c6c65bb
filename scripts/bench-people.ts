// Benchmark rows for pushed values (docs/people.md "Event subscriptions"), run by `npm run bench`
// or alone (`node dist/scripts/bench-people.js [--quick]`):
// - push latency with 100 subscriptions: from the poller's read that saw the change (thingd's
//   own debug "read" log line, ms clock) to each subscriber receiving its <resp>, p50 and p99,
//   next to an IEEE momentary readout's round trip p50 on the same Thing;
// - CPU of thingd idle with 100 subscriptions (maxInt 1 h, constant value) against the same
//   process before subscribing.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { xml, type Element } from "@xmpp/xml";
import { startProsody } from "./lib/local-prosody.js";
import { ReaderClient } from "./lib/reader-client.js";
import { localXmppSection } from "./lib/sensor-map-yaml.js";
import { buildSubscribe, NS_IEEE_EVENTS } from "../agent/protocol/events.js";

const MAIN = fileURLToPath(new URL("../agent/main.js", import.meta.url));
const CLK_TCK = 100;
const SD = "urn:ieee:iot:sd:1.0";
const CLIENTS = Number(process.env.BENCH_PEOPLE_CLIENTS ?? 10);
const PER_CLIENT = Number(process.env.BENCH_PEOPLE_PER_CLIENT ?? 10);

export interface PeopleRow {
  name: string;
  value: number | string;
  target: string;
  pass: boolean | undefined;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

async function cpuPercent(pid: number, seconds: number): Promise<number> {
  const t0 = await cpuTicks(pid);
  await sleep(seconds * 1000);
  return (((await cpuTicks(pid)) - t0) / CLK_TCK / seconds) * 100;
}

export async function benchPeople(o: { quick?: boolean } = {}): Promise<PeopleRow[]> {
  const changes = o.quick ? 20 : 60;
  const cpuSeconds = o.quick ? 10 : 30;
  const users = ["thing", "owner", ...Array.from({ length: CLIENTS }, (_, i) => `sub${i}`)];
  const server = await startProsody({
    ...(process.env.BENCH_PEOPLE_NAGLE === "0" ? { nagle: false } : {}),
    users: users.map((u) => ({ user: u, password: `${u}-pw` })),
  });
  const dir = await mkdtemp(path.join(tmpdir(), "thingd-bench-people-"));
  const valueFile = path.join(dir, "value");
  let thingd: ChildProcess | undefined;
  const clients: ReaderClient[] = [];
  try {
    await writeFile(valueFile, "20\n");
    const readers = users.filter((u) => u.startsWith("sub")).map((u) => `${u}@localhost`);
    const config = path.join(dir, "sensors.yaml");
    await writeFile(
      config,
      `${localXmppSection(server, { resource: "bench" })}access:
  owner: owner@localhost
  readers: [${readers.join(", ")}]
subscriptions: { per_jid: ${PER_CLIENT}, total: 1000 }
history: { enabled: false }
state_dir: ./state
sensors:
  - id: room
    driver: simulated
    every: 100ms
    fields:
      - { name: temperature, unit: "°C", decimals: 1, value_file: ${valueFile} }
`,
    );
    // Debug level: the poller's "read" line carries the read's time (pino ms clock).
    thingd = spawn(process.execPath, [MAIN, "run", "-c", config, "--log-level", "debug"], { stdio: ["ignore", "pipe", "inherit"] });
    const reads: number[] = [];
    let buf = "";
    thingd.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.includes('"msg":"read"')) reads.push((JSON.parse(line) as { time: number }).time);
      }
    });
    const ca = await readFile(server.caFile, "utf8");
    for (let i = 0; i < CLIENTS; i++) {
      clients.push(
        await ReaderClient.connect({ service: server.service, domain: "localhost", jid: `sub${i}@localhost`, password: `sub${i}-pw`, ca, resource: "bench" }),
      );
    }
    const THING = "thing@localhost/bench";
    for (let t = Date.now(); ; await sleep(100)) {
      const r = await clients[0]!.iq(xml("iq", { type: "get", to: THING }, xml("ping", { xmlns: "urn:xmpp:ping" })), 2000).catch(() => undefined);
      if (r?.attrs.type === "result") break;
      if (Date.now() - t > 30_000) throw new Error("thingd did not come online");
    }

    // Idle CPU before subscribing, then with 100 subscriptions (nothing changes).
    await sleep(2000);
    const cpuBefore = await cpuPercent(thingd.pid!, cpuSeconds);
    for (const [i, c] of clients.entries()) {
      for (let k = 0; k < PER_CLIENT; k++) {
        const reply = await c.iq(
          xml(
            "iq",
            { type: "get", to: THING },
            buildSubscribe(NS_IEEE_EVENTS, { id: `s${i}-${k}`, nodes: ["room"], fields: [{ name: "temperature", by: 0.5 }], maxInt: "PT1H" }),
          ),
        );
        if (reply.attrs.type !== "result") throw new Error(`subscribe refused: ${reply.toString()}`);
      }
    }
    const cpuWith = await cpuPercent(thingd.pid!, cpuSeconds);

    // Push latency: flip the value; every subscription must get a push per flip.
    const latencies: number[] = [];
    const firsts: number[] = [];
    let value = 20;
    for (let n = 0; n < changes; n++) {
      value = value === 20 ? 21 : 20;
      const arrivals: number[] = [];
      const want = `${value.toFixed(1)}`;
      const all = clients.map((c) =>
        Promise.all(
          Array.from({ length: PER_CLIENT }, () =>
            c.waitFor((el: Element) => {
              const q = el.name === "message" ? el.getChild("resp", SD)?.getChild("nd")?.getChild("ts")?.getChild("q") : undefined;
              if (q?.attrs.v !== want || (el as Element & { seen?: number }).seen === n) return false;
              (el as Element & { seen?: number }).seen = n;
              arrivals.push(Date.now());
              return true;
            }, 10_000),
          ),
        ),
      );
      await writeFile(valueFile, `${value}\n`);
      await Promise.all(all);
      await sleep(150); // the trailing debug lines of this round are in
      const round: number[] = [];
      for (const at of arrivals) {
        const read = reads.filter((r) => r <= at).pop();
        if (read !== undefined) round.push(at - read);
      }
      latencies.push(...round);
      if (round.length > 0) firsts.push(Math.min(...round));
    }

    // A momentary IEEE readout's round trip on the same Thing, for comparison.
    const rtts: number[] = [];
    for (let i = 0; i < (o.quick ? 100 : 300); i++) {
      const t = performance.now();
      const r = await clients[0]!.iq(xml("iq", { type: "get", to: THING }, xml("req", { xmlns: SD, id: `r${i}`, m: "true" }, xml("nd", { id: "room" }))));
      if (r.attrs.type !== "result") throw new Error("readout failed");
      rtts.push(performance.now() - t);
    }
    const p50 = pct(latencies, 0.5);
    const p99 = pct(latencies, 0.99);
    const readP50 = pct(rtts, 0.5);
    return [
      { name: `push latency p50, ${CLIENTS * PER_CLIENT} subscriptions (ms, read → received)`, value: p50, target: "", pass: undefined },
      { name: `push latency p99, ${CLIENTS * PER_CLIENT} subscriptions (ms)`, value: p99, target: "", pass: undefined },
      { name: "  first of the subscriptions to receive, p50 (ms)", value: pct(firsts, 0.5), target: "", pass: undefined },
      { name: "  IEEE momentary readout p50, same Thing (ms, round trip)", value: readP50, target: "", pass: undefined },
      { name: "push p50 − readout p50 (ms)", value: p50 - readP50, target: "≤ 2", pass: p50 - readP50 <= 2 },
      { name: `CPU idle, no subscriptions (%, ${cpuSeconds} s)`, value: cpuBefore, target: "", pass: undefined },
      {
        name: `CPU idle, ${CLIENTS * PER_CLIENT} subscriptions (%, ${cpuSeconds} s)`,
        value: cpuWith,
        target: "≈ same",
        pass: cpuWith - cpuBefore <= Math.max(0.5, cpuBefore * 0.2),
      },
    ];
  } finally {
    await Promise.allSettled(clients.map((c) => c.stop()));
    if (thingd && thingd.exitCode === null) {
      const exited = new Promise((r) => thingd!.once("exit", r));
      thingd.kill("SIGTERM");
      await Promise.race([exited, sleep(5000)]);
    }
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
  const rows = await benchPeople({ quick: values.quick });
  for (const r of rows)
    console.log(
      `| ${r.name} | ${typeof r.value === "number" ? r.value.toFixed(2) : r.value} | ${r.target} | ${r.pass === undefined ? "-" : r.pass ? "pass" : "FAIL"} |`,
    );
}
