// `node dist/scripts/bench-resume.js [--n 20]`: time from a cut connection to a working session
// again, on loopback: the connection supervisor in-process, a real Prosody (mod_smacks) behind
// ./lib/fault-proxy.ts, which resets the connection and listens again at once. Two rounds:
// XEP-0198 resumption on (the stream is resumed), and off (a new session: bind, then the
// `online` hook's initial presence). Each sample is split into the supervisor's random pause
// before reconnecting (0–250 ms, so a fleet does not arrive at once) and the reconnect itself.
import { Writable } from "node:stream";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { xml } from "@xmpp/xml";
import { startProsody } from "./lib/local-prosody.js";
import { startFaultProxy } from "./lib/fault-proxy.js";
import { Supervisor } from "../agent/transport/supervisor.js";

const { values } = parseArgs({ options: { n: { type: "string", default: "20" } } });
const n = Number(values.n);

const server = await startProsody({ smacks: true, users: [{ user: "thing", password: "thing-pw" }] });
const proxy = await startFaultProxy({ host: "127.0.0.1", port: server.c2sPort });
const ca = await readFile(server.caFile, "utf8");

interface Sample {
  totalMs: number;
  pauseMs: number;
}

async function round(streamManagement: boolean): Promise<Sample[]> {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split("\n")) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const supervisor = new Supervisor({
    connection: { service: `xmpp://127.0.0.1:${proxy.port}`, domain: "localhost", jid: "thing@localhost", password: "thing-pw", resource: "bench", ca, tlsRequired: true },
    log: pino({ level: "debug" }, sink),
    keepaliveMs: 60_000,
    comeback: false,
    streamManagement,
    install: () => undefined,
    online: async (conn) => {
      await conn.entity.send(xml("presence", {}));
    },
  });
  const online = () =>
    new Promise<void>((resolve) => {
      const on = (state: string) => {
        if (state !== "online") return;
        supervisor.off("state", on);
        resolve();
      };
      supervisor.on("state", on);
    });
  let up = online();
  supervisor.start();
  await up;
  const samples: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const mark = lines.length;
    up = online();
    const t = performance.now();
    await proxy.kill();
    await proxy.up();
    await up;
    const totalMs = performance.now() - t;
    const pause = lines.slice(mark).find((l) => l.msg === "reconnecting");
    const expected = streamManagement ? "stream resumed" : "online";
    if (!lines.slice(mark).some((l) => l.msg === expected)) throw new Error(`cycle ${i}: no "${expected}" line`);
    samples.push({ totalMs, pauseMs: typeof pause?.delayMs === "number" ? pause.delayMs : 0 });
  }
  await supervisor.stop();
  return samples;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const row = (name: string, s: Sample[]) => {
  const total = s.map((x) => x.totalMs);
  const reconnect = s.map((x) => x.totalMs - x.pauseMs);
  return `| ${name.padEnd(26)} | ${String(s.length).padStart(3)} | ${pct(total, 50).toFixed(0).padStart(13)} | ${pct(total, 90).toFixed(0).padStart(13)} | ${pct(reconnect, 50).toFixed(0).padStart(22)} | ${pct(reconnect, 90).toFixed(0).padStart(22)} |`;
};

try {
  const resumed = await round(true);
  const fresh = await round(false);
  console.log(`Cut → session working again, loopback, Prosody ${server.domain} with mod_smacks, Node ${process.version}`);
  console.log("| path                       |   n | total p50 (ms) | total p90 (ms) | without pause p50 (ms) | without pause p90 (ms) |");
  console.log("|----------------------------|-----|----------------|----------------|------------------------|------------------------|");
  console.log(row("resumed (XEP-0198)", resumed));
  console.log(row("new session (SM off)", fresh));
} finally {
  await proxy.close();
  await server.stop();
}
