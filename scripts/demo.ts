// `npm run demo`: a throwaway local Prosody, a Thing Registry, thingd with simulated sensors,
// and an owner that reads momentary values every few seconds until Ctrl-C.
// Options: --rounds N (stop after N readouts), --every SECONDS (default 3).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startProsody, type ProsodyServer } from "./lib/local-prosody.js";
import { startRegistry, type TestRegistry } from "./lib/test-registry.js";
import { ReaderClient, type ReadResult } from "./lib/reader-client.js";
import { localXmppSection } from "./lib/sensor-map-yaml.js";

const MAIN = fileURLToPath(new URL("../agent/main.js", import.meta.url));
const THING = "thing@localhost/demo";

function haveProsody(): boolean {
  return spawnSync("sh", ["-c", "command -v prosody && command -v prosodyctl"], { stdio: "ignore" }).status === 0;
}

/** Install Prosody with apt-get when we may (root, or sudo without a password). */
function ensureProsody(): boolean {
  if (haveProsody()) return true;
  const asRoot = process.getuid?.() === 0;
  const sudo = !asRoot && spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0;
  if (!asRoot && !sudo) {
    console.error("The demo needs Prosody (a local XMPP server). Install it with:\n\n  sudo apt-get install -y prosody\n");
    return false;
  }
  console.log("Installing Prosody with apt-get (one time)…");
  const prefix = asRoot ? [] : ["sudo", "-n"];
  const run = (args: string[]) => execFileSync(prefix[0] ?? args[0]!, [...prefix.slice(1), ...(prefix.length ? args : args.slice(1))], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  try {
    run(["apt-get", "update"]);
    run(["apt-get", "install", "-y", "prosody"]);
  } catch {
    console.error("apt-get failed. Install Prosody yourself:\n\n  sudo apt-get install -y prosody\n");
    return false;
  }
  return haveProsody();
}

function sensorMap(server: ProsodyServer): string {
  return `# Written by the thingd demo.
${localXmppSection(server, { resource: "demo" })}registry:
  jid: registry.localhost
  meta: { MAN: example.com, MODEL: thingd-demo, V: 1 }
state_dir: ./state
sensors:
  - id: room
    driver: simulated
    every: 2s
    fields:
      - { name: temperature, unit: "°C", min: 18, max: 24, decimals: 2 }
      - { name: humidity, unit: "%", min: 30, max: 60, decimals: 1 }
      - { name: pressure, unit: hPa, min: 990, max: 1030, decimals: 1 }
  - id: air
    driver: simulated
    every: 5s
    seed: 7
    fields:
      - { name: pm2_5, unit: "µg/m³", min: 2, max: 35, decimals: 0 }
      - { name: pm10, unit: "µg/m³", min: 5, max: 50, decimals: 0 }
`;
}

function printReadout(n: number, r: ReadResult): void {
  const time = new Date().toLocaleTimeString();
  console.log(`\nReadout #${n} at ${time} (momentary, from owner@localhost)`);
  for (const f of r.fields) console.log(`  ${f.node.padEnd(6)} ${f.name.padEnd(12)} ${f.value.padStart(8)} ${f.unit ?? ""}`);
  for (const e of r.failures) console.log(`  ${e.nodeId.padEnd(6)} FAILED: ${e.message}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { rounds: { type: "string" }, every: { type: "string", default: "3" } } });
  const rounds = values.rounds ? Number(values.rounds) : Infinity;
  const everyMs = Number(values.every) * 1000;
  if (!ensureProsody()) return 1;

  const cleanups: Array<() => Promise<unknown>> = [];
  let stopping = false;
  let wake: () => void = () => {};
  const stop = () => {
    stopping = true;
    wake();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  try {
    console.log("Starting a local Prosody on loopback…");
    const server = await startProsody({
      users: [{ user: "thing", password: "thing-pw" }, { user: "owner", password: "owner-pw" }],
      components: [{ domain: "registry.localhost", secret: "registry-secret" }],
    });
    cleanups.unshift(() => server.stop());
    const registry: TestRegistry = await startRegistry(server, { domain: "registry.localhost", secret: "registry-secret" });
    cleanups.unshift(() => registry.stop());

    const dir = await mkdtemp(path.join(tmpdir(), "thingd-demo-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config = path.join(dir, "sensors.yaml");
    await writeFile(config, sensorMap(server));
    const logFile = path.join(dir, "thingd.log");
    const agent = spawn(process.execPath, [MAIN, "run", "-c", config], { stdio: ["ignore", "pipe", "inherit"] });
    agent.stdout.pipe(createWriteStream(logFile));
    const exited = new Promise<number | null>((resolve) => agent.on("exit", resolve));
    cleanups.unshift(async () => {
      if (agent.exitCode === null) agent.kill("SIGTERM");
      const code = await exited;
      console.log(`thingd exited with code ${code}`);
    });
    console.log(`thingd started (pid ${agent.pid}), sensor map ${config}`);

    const reg = await registry.waitForRegistration(undefined, 30_000);
    console.log(`Registered with ${registry.domain}: ${Object.entries(reg.tags).map(([k, v]) => `${k}=${k === "KEY" ? v.value.slice(0, 6) + "…" : v.value}`).join(" ")}`);
    await registry.claim(THING, "owner@localhost");
    console.log("Claimed by owner@localhost through the registry.");

    const ca = await readFile(server.caFile, "utf8");
    const owner = await ReaderClient.connect({ service: server.service, domain: "localhost", jid: "owner@localhost", password: "owner-pw", ca });
    cleanups.unshift(() => owner.stop());
    console.log("Reading every", everyMs / 1000, "s. Press Ctrl-C to stop.");
    for (let n = 1; n <= rounds && !stopping; n++) {
      printReadout(n, await owner.read(THING, { momentary: "true" }));
      if (n < rounds) await new Promise<void>((resolve) => ((wake = resolve), setTimeout(resolve, everyMs)));
    }
    return 0;
  } catch (err) {
    console.error("demo failed:", err instanceof Error ? err.message : err);
    return 1;
  } finally {
    console.log("\nStopping…");
    for (const c of cleanups) await c().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
