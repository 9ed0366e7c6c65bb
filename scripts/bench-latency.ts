// `npm run bench`: readout latency and rate of thingd on a local Prosody, against XMPP ping
// and against a do-nothing responder that answers every <req> with the same two stanzas
// (IQ result + one <fields> message) from a prebuilt template, and the IEEE dialect's one-stanza
// answer (<resp> in the IQ result). Prints the numbers.
// Options: --n N (sequential samples, default 300), --total N (requests in the rate test,
// default 5000), --inflight N (default 16).
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { xml } from "@xmpp/xml";
import { startProsody } from "./lib/local-prosody.js";
import { ReaderClient } from "./lib/reader-client.js";
import { localXmppSection } from "./lib/sensor-map-yaml.js";

const MAIN = fileURLToPath(new URL("../agent/main.js", import.meta.url));
const THING = "thing@localhost/bench";
const DUMMY = "dummy@localhost/bench";

function stats(samples: number[]): { median: number; p95: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { median: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function interleaved(n: number, ops: Array<() => Promise<unknown>>): Promise<number[][]> {
  for (let i = 0; i < 20; i++) for (const op of ops) await op(); // warm-up
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

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { n: { type: "string", default: "300" }, total: { type: "string", default: "5000" }, inflight: { type: "string", default: "16" } } });
  const n = Number(values.n);
  const total = Number(values.total);
  const inflight = Number(values.inflight);

  const server = await startProsody({ users: ["thing", "dummy", "reader"].map((u) => ({ user: u, password: `${u}-pw` })) });
  const dir = await mkdtemp(path.join(tmpdir(), "thingd-bench-"));
  const ca = await readFile(server.caFile, "utf8");
  const config = path.join(dir, "sensors.yaml");
  await writeFile(config, `${localXmppSection(server, { resource: "bench" })}access:
  owner: reader@localhost
state_dir: ./state
sensors:
  - id: room
    driver: simulated
    every: 1h
    fields:
      - { name: temperature, unit: "°C", value: 21.37, decimals: 2 }
      - { name: humidity, unit: "%", value: 40.2, decimals: 1 }
`);
  const agent = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? []), MAIN, "run", "-c", config, "--log-level", "warn"], { stdio: ["ignore", "inherit", "inherit"] });

  // The do-nothing responder, in its own process like thingd.
  const dummy = spawn(process.execPath, [fileURLToPath(new URL("./dummy-responder.js", import.meta.url)), server.service, server.caFile, "dummy@localhost", "dummy-pw", "bench"], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    dummy.stdout!.once("data", () => resolve());
    dummy.once("exit", (code) => reject(new Error(`dummy responder exited with ${code}`)));
  });

  const reader = await ReaderClient.connect({ service: server.service, domain: "localhost", jid: "reader@localhost", password: "reader-pw", ca });
  // Wait until thingd answers.
  for (let i = 0; ; i++) {
    const r = await reader.read(THING, { momentary: "true" }).catch(() => undefined);
    if (r?.fields.length) break;
    if (i > 100) throw new Error("thingd did not come online");
    await new Promise((res) => setTimeout(res, 200));
  }

  const ping = (to: string) => () => reader.iq(xml("iq", { type: "get", to }, xml("ping", { xmlns: "urn:xmpp:ping" })));
  const readout = (to: string) => async () => {
    const r = await reader.read(to, { momentary: "true" });
    if (r.fields.length !== 2) throw new Error(`unexpected readout from ${to}`);
  };

  // The IEEE dialect's cached fast path: one IQ result carrying <resp> (protocol.md §1.8).
  const readoutIeee = (to: string) => async () => {
    const r = await reader.read(to, { m: "true" }, [], 10_000, { dialect: "ieee" });
    if (r.fields.length !== 2 || r.messages.length !== 0) throw new Error(`unexpected IEEE readout from ${to}`);
  };

  // Interleave the operations sample by sample so drift hits all of them alike.
  const samples = await interleaved(n, [ping(THING), readout(THING), readout(DUMMY), readoutIeee(THING)]);
  type Stats = ReturnType<typeof stats>;
  const [pingT, thingT, dummyT, ieeeT] = samples.map(stats) as [Stats, Stats, Stats, Stats];
  // Alternate rounds so warm-up and background load hit both alike; report the median round.
  const rounds = 5;
  const thingRates: number[] = [];
  const dummyRates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    dummyRates.push(await rate(Math.ceil(total / rounds), inflight, readout(DUMMY)));
    thingRates.push(await rate(Math.ceil(total / rounds), inflight, readout(THING)));
  }
  const thingRate = stats(thingRates).median;
  const dummyRate = stats(dummyRates).median;

  const f = (x: number) => x.toFixed(2).padStart(7);
  console.log(`\nthingd readout benchmark (Prosody on loopback, n=${n} sequential, ${total} requests at ${inflight} in flight)`);
  console.log(`                                 median ms   p95 ms   mean ms`);
  console.log(`XMPP ping to thingd            ${f(pingT.median)}  ${f(pingT.p95)}  ${f(pingT.mean)}`);
  console.log(`momentary readout, thingd      ${f(thingT.median)}  ${f(thingT.p95)}  ${f(thingT.mean)}`);
  console.log(`momentary readout, do-nothing  ${f(dummyT.median)}  ${f(dummyT.p95)}  ${f(dummyT.mean)}`);
  console.log(`IEEE readout (resp in result)  ${f(ieeeT.median)}  ${f(ieeeT.p95)}  ${f(ieeeT.mean)}`);
  console.log(`\nlatency ratio thingd / do-nothing (median): ${(thingT.median / dummyT.median).toFixed(3)}  (target <= 1.2)`);
  console.log(`readout / ping (median):                    ${(thingT.median / pingT.median).toFixed(3)}`);
  console.log(`rate at ${inflight} in flight: thingd ${thingRate.toFixed(0)}/s, do-nothing ${dummyRate.toFixed(0)}/s, ratio ${(thingRate / dummyRate).toFixed(3)}  (target >= 0.85)`);

  await reader.stop();
  dummy.kill("SIGTERM");
  agent.kill("SIGTERM");
  await new Promise((res) => agent.on("exit", res));
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error("bench failed:", err);
    process.exit(1);
  },
);
