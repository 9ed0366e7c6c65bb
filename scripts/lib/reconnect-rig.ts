// Drives many XMPP connection cycles of one cause against a real thingd process and samples its
// memory (after a full GC, through ./memory-probe.ts). Shared by `npm run bench:reconnect` and the
// chaos tests (test/chaos/reconnect-memory.chaos.test.ts). Causes:
//   conflict     a second client logs in with thingd's full JID; the server kicks thingd
//   server-kill  the connection dies abruptly and connects are refused for a moment (./fault-proxy.ts)
//   tls          thingd trusts the wrong CA: every STARTTLS handshake fails
//   auth         thingd has the wrong password: every SASL exchange fails
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { existsSync, readFileSync } from "node:fs";
import { xml } from "@xmpp/xml";
import { createConnection } from "../../agent/transport/connection.js";
import type { ProsodyServer } from "./local-prosody.js";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";
import { envAsDeployed } from "./unit-env.js";

export const CAUSES = ["conflict", "server-kill", "tls", "auth"] as const;
export type Cause = (typeof CAUSES)[number];

// This file runs compiled (dist/scripts/lib, the benchmark) or from source (scripts/lib, vitest);
// thingd and the probe always run from the build.
const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIST = HERE.split(path.sep).includes("dist") ? path.resolve(HERE, "../..") : path.resolve(HERE, "../../dist");
const MAIN = path.join(DIST, "agent", "main.js");
const PROBE = path.join(DIST, "scripts", "lib", "memory-probe.js");
/** The systemd unit's environment (Node options, allocator arenas), so thingd runs as deployed. */
const UNIT_ENV = envAsDeployed(path.join(DIST, "..", "systemd", "thingd.service"));

/** Short back-off for driving cycles fast (the `xmpp.reconnect` section of the sensor map). */
export const FAST_RECONNECT = `  reconnect: { min: 20ms, max: 100ms, conflict_min: 20ms, conflict_max: 50ms }\n`;

export interface LogLine {
  level: number;
  msg: string;
  time?: number;
  [k: string]: unknown;
}

export interface MemorySample {
  cycle: number;
  /** RSS as the process ran, before the probe's GC. */
  rawRss: number;
  rss: number;
  heapUsed: number;
  external: number;
}

export interface ThingdRun {
  child: ChildProcess;
  lines: LogLine[];
  count(predicate: (l: LogLine) => boolean): number;
  waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Full GC, then the process's memory. */
  probe(): Promise<Omit<MemorySample, "cycle">>;
  stop(): Promise<void>;
}

/** thingd as a child process with the memory probe preloaded and its JSON log collected. */
export function runProbedThingd(config: string, logLevel = "info", label = "thingd"): ThingdRun {
  if (!existsSync(MAIN) || !existsSync(PROBE)) throw new Error(`${MAIN} or ${PROBE} is missing: run "npm run build" (npm test does it)`);
  const args = [
    "--expose-gc",
    "--import",
    PROBE,
    // THINGD_DEBUG_IMPORT: one more module to preload, e.g. a tracer of unhandled rejections.
    ...(process.env.THINGD_DEBUG_IMPORT ? ["--import", process.env.THINGD_DEBUG_IMPORT] : []),
    MAIN,
    "run",
    "-c",
    config,
    "--log-level",
    logLevel,
  ];
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: UNIT_ENV,
  });
  const lines: LogLine[] = [];
  const probes: Array<Omit<MemorySample, "cycle">> = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    for (let i = out.indexOf("\n"); i >= 0; i = out.indexOf("\n")) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        lines.push({ level: 30, msg: line });
      }
    }
    notify();
  });
  let errText = "";
  const stderr: string[] = [];
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    errText += chunk;
    for (let i = errText.indexOf("\n"); i >= 0; i = errText.indexOf("\n")) {
      const line = errText.slice(0, i);
      errText = errText.slice(i + 1);
      if (line.startsWith('{"memoryProbe"')) {
        const p = JSON.parse(line) as { rawRss: number; rss: number; heapUsed: number; external: number; gc: boolean };
        if (!p.gc) throw new Error("memory probe ran without --expose-gc");
        probes.push({ rawRss: p.rawRss, rss: p.rss, heapUsed: p.heapUsed, external: p.external });
      } else stderr.push(line);
    }
    notify();
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  child.on("exit", notify);
  const run: ThingdRun = {
    child,
    lines,
    count: (predicate) => lines.reduce((n, l) => n + (predicate(l) ? 1 : 0), 0),
    waitFor(predicate, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        if (predicate()) return resolve();
        if (child.exitCode !== null) return reject(new Error(`${label} exited (${child.exitCode}) before ${what}; stderr:\n${stderr.join("\n")}`));
        const t = setTimeout(() => {
          waiters.delete(check);
          const tail = lines
            .slice(-12)
            .map((l) => JSON.stringify(l))
            .join("\n");
          reject(new Error(`${label}: no ${what} within ${timeoutMs} ms; last log lines:\n${tail}\nstderr:\n${stderr.join("\n")}`));
        }, timeoutMs);
        const check = () => {
          if (!predicate() && child.exitCode === null) return;
          clearTimeout(t);
          waiters.delete(check);
          if (predicate()) resolve();
          else reject(new Error(`${label} exited (${child.exitCode}) before ${what}; stderr:\n${stderr.join("\n")}`));
        };
        waiters.add(check);
      });
    },
    async probe() {
      const before = probes.length;
      child.kill("SIGUSR2");
      await run.waitFor(() => probes.length > before, 10_000, "memory probe answer");
      return probes[probes.length - 1]!;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
  return run;
}

/** Log lines that mark one cycle of `cause`. */
export function isCycle(cause: Cause): (l: LogLine) => boolean {
  switch (cause) {
    case "conflict":
    case "server-kill":
      return (l) => l.msg === "online";
    case "tls":
    case "auth":
      return (l) => l.msg === "XMPP connect failed" || /^authentication failed/.test(l.msg);
  }
}

export interface CycleOptions {
  server: ProsodyServer;
  cause: Cause;
  cycles: number;
  /** Memory is sampled every `every` cycles (and at cycle 0, once online or failing). */
  every: number;
  /** `xmpp.reconnect` lines for the sensor map (default FAST_RECONNECT; "" for none). */
  reconnect?: string;
  /** Password of thing@localhost on the server. */
  password: string;
  progress?(text: string): void;
}

export interface CycleResult {
  cause: Cause;
  cycles: number;
  seconds: number;
  samples: MemorySample[];
  /** Log lines of level error (50) and above, by message. */
  errors: Map<string, number>;
}

const pause = (ms: number) => sleep(ms);

/** Runs `cycles` connection cycles of one cause against a fresh thingd; samples memory along the way. */
export async function runCycles(o: CycleOptions): Promise<CycleResult> {
  const dir = await mkdtemp(path.join(tmpdir(), `thingd-cycles-${o.cause}-`));
  let proxy: FaultProxy | undefined;
  let run: ThingdRun | undefined;
  try {
    let ca = o.server.caFile;
    let service = o.server.service;
    if (o.cause === "tls") ca = await makeStrangerCa(dir);
    if (o.cause === "server-kill") {
      proxy = await startFaultProxy({ host: "127.0.0.1", port: o.server.c2sPort });
      service = `xmpp://127.0.0.1:${proxy.port}`;
    }
    await writeFile(path.join(dir, "secret"), `${o.cause === "auth" ? "not-the-password" : o.password}\n`);
    const config = path.join(dir, "sensors.yaml");
    await writeFile(
      config,
      `xmpp:
  service: ${service}
  jid: thing@localhost
  password_file: ./secret
  resource: gateway
  tls: { ca: ${ca} }
${o.reconnect ?? FAST_RECONNECT}access:
  owner: owner@localhost
state_dir: ./state
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", value: 21.4, decimals: 2 }] }
`,
    );
    const started = Date.now();
    run = runProbedThingd(config, "info", `thingd (${o.cause})`);
    const cycle = isCycle(o.cause);
    const done = () => run!.count(cycle);
    const samples: MemorySample[] = [];
    const sample = async (n: number) => {
      samples.push({ cycle: n, ...(await run!.probe()) });
      o.progress?.(`${o.cause}: cycle ${n}, RSS ${(samples.at(-1)!.rss / 1048576).toFixed(1)} MB`);
    };
    const driven = o.cause === "conflict" || o.cause === "server-kill";
    await run.waitFor(() => done() >= 1, 60_000, "first cycle");
    await sample(0);
    for (let n = 1; n <= o.cycles; n++) {
      if (driven) {
        // One cycle: break the live session, wait until thingd is online again.
        const before = done();
        if (o.cause === "conflict") await kick(o.server, o.password);
        else {
          await proxy!.kill();
          await pause(50);
          await proxy!.up();
        }
        await run.waitFor(() => done() > before, 30_000, `online again after ${o.cause} cycle ${n}`);
      } else {
        await run.waitFor(() => done() >= n + 1, 30_000, `${o.cause} cycle ${n}`);
      }
      if (n % o.every === 0) await sample(n);
    }
    const errors = new Map<string, number>();
    for (const l of run.lines) if (l.level >= 50) errors.set(l.msg, (errors.get(l.msg) ?? 0) + 1);
    const unexpected = run.lines.filter((l) => l.level >= 50 && !/^(another client logged in|authentication failed)/.test(l.msg));
    if (unexpected.length > 0)
      o.progress?.(
        `${o.cause}: error lines:\n${unexpected
          .slice(0, 5)
          .map((l) => JSON.stringify(l))
          .join("\n")}`,
      );
    return { cause: o.cause, cycles: o.cycles, seconds: (Date.now() - started) / 1000, samples, errors };
  } finally {
    await run?.stop();
    await proxy?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Log in as thing@localhost/gateway (the server kicks the session holding it), then leave. */
export async function kick(server: ProsodyServer, password: string): Promise<void> {
  const conn = createConnection({
    service: server.service,
    domain: "localhost",
    jid: "thing@localhost",
    password,
    resource: "gateway",
    tlsRequired: true,
    ca: readFileSync(server.caFile, "utf8"),
  });
  conn.entity.on("error", () => {});
  try {
    await conn.entity.start();
    await conn.entity.send(xml("presence", { type: "unavailable" }));
    await conn.entity.stop();
  } catch {
    // thingd may already have taken the resource back (then this session got the conflict).
  } finally {
    const raw = conn.entity.socket?.socket ?? conn.entity.socket;
    raw?.destroy?.();
  }
}

/** A self-signed CA that signed nothing the server has: thingd's TLS check must fail. */
async function makeStrangerCa(dir: string): Promise<string> {
  const ca = path.join(dir, "stranger-ca.crt");
  await promisify(execFile)("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    path.join(dir, "stranger-ca.key"),
    "-out",
    ca,
    "-days",
    "2",
    "-subj",
    "/CN=not the server's CA",
  ]);
  return ca;
}
