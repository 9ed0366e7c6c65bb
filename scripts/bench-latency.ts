// `npm run bench`: readout latency and rate of thingd on a local Prosody, against XMPP ping
// and against a do-nothing responder that answers every <req> with the same two stanzas
// (IQ result + one <fields> message) from a prebuilt template. Prints the numbers.
// Options: --n N (sequential samples, default 300), --total N (requests in the rate test,
// default 2000), --inflight N (default 16).
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { xml, type Element } from "@xmpp/xml";
import { startProsody } from "./lib/local-prosody.js";
import { ReaderClient } from "./lib/reader-client.js";
import { createConnection } from "../agent/transport/connection.js";
import { buildAccepted, buildFieldsMessage } from "../agent/protocol/sensordata.js";
import { NS_SENSORDATA } from "../agent/protocol/ns.js";

const MAIN = fileURLToPath(new URL("../agent/main.js", import.meta.url));
const THING = "thing@localhost/bench";
const DUMMY = "dummy@localhost/bench";

function stats(samples: number[]): { median: number; p95: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { median: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function sequential(n: number, op: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await op(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op();
    out.push(performance.now() - t);
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
  const { values } = parseArgs({ options: { n: { type: "string", default: "300" }, total: { type: "string", default: "2000" }, inflight: { type: "string", default: "16" } } });
  const n = Number(values.n);
  const total = Number(values.total);
  const inflight = Number(values.inflight);

  const server = await startProsody({ users: ["thing", "dummy", "reader"].map((u) => ({ user: u, password: `${u}-pw` })) });
  const dir = await mkdtemp(path.join(tmpdir(), "thingd-bench-"));
  const ca = await readFile(server.caFile, "utf8");
  const config = path.join(dir, "sensors.yaml");
  await writeFile(config, `xmpp:
  service: ${server.service}
  jid: thing@localhost
  password: thing-pw
  resource: bench
  tls: { ca: ${server.caFile} }
access:
  readers: [reader@localhost]
state_dir: ./state
sensors:
  - id: room
    driver: simulated
    every: 1h
    fields:
      - { name: temperature, unit: "°C", value: 21.37, decimals: 2 }
      - { name: humidity, unit: "%", value: 40.2, decimals: 1 }
`);
  const agent = spawn(process.execPath, [MAIN, "run", "-c", config, "--log-level", "warn"], { stdio: ["ignore", "inherit", "inherit"] });

  // The do-nothing responder: same two stanzas, no access check, no sensor, no parsing beyond seqnr.
  const dummy = createConnection({ service: server.service, domain: "localhost", jid: "dummy@localhost", password: "dummy-pw", resource: "bench", ca, tlsRequired: true });
  const template = [{ nodeId: "room", fields: [
    { type: "numeric" as const, name: "temperature", value: 21.37, unit: "°C" as const, decimals: 2, timestamp: new Date() },
    { type: "numeric" as const, name: "humidity", value: 40.2, unit: "%" as const, decimals: 1, timestamp: new Date() },
  ] }];
  dummy.middleware.use(async (ctx: { stanza: Element }, next: () => Promise<unknown>) => {
    const req = ctx.stanza.getChild("req", NS_SENSORDATA);
    if (ctx.stanza.name !== "iq" || !req) return next();
    const { from, id } = ctx.stanza.attrs;
    const seqnr = req.attrs.seqnr!;
    await dummy.entity.sendMany([xml("iq", { type: "result", to: from, id }, buildAccepted(seqnr)), buildFieldsMessage(from!, seqnr, template, true)]);
    return undefined;
  });
  dummy.entity.on("error", () => {});
  await dummy.entity.start();

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

  const pingT = stats(await sequential(n, ping(THING)));
  const thingT = stats(await sequential(n, readout(THING)));
  const dummyT = stats(await sequential(n, readout(DUMMY)));
  const thingRate = await rate(total, inflight, readout(THING));
  const dummyRate = await rate(total, inflight, readout(DUMMY));

  const f = (x: number) => x.toFixed(2).padStart(7);
  console.log(`\nthingd readout benchmark (Prosody on loopback, n=${n} sequential, ${total} requests at ${inflight} in flight)`);
  console.log(`                                 median ms   p95 ms   mean ms`);
  console.log(`XMPP ping to thingd            ${f(pingT.median)}  ${f(pingT.p95)}  ${f(pingT.mean)}`);
  console.log(`momentary readout, thingd      ${f(thingT.median)}  ${f(thingT.p95)}  ${f(thingT.mean)}`);
  console.log(`momentary readout, do-nothing  ${f(dummyT.median)}  ${f(dummyT.p95)}  ${f(dummyT.mean)}`);
  console.log(`\nlatency ratio thingd / do-nothing (median): ${(thingT.median / dummyT.median).toFixed(3)}  (target <= 1.2)`);
  console.log(`readout / ping (median):                    ${(thingT.median / pingT.median).toFixed(3)}`);
  console.log(`rate at ${inflight} in flight: thingd ${thingRate.toFixed(0)}/s, do-nothing ${dummyRate.toFixed(0)}/s, ratio ${(thingRate / dummyRate).toFixed(3)}  (target >= 0.85)`);

  await reader.stop();
  await dummy.entity.stop().catch(() => undefined);
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
