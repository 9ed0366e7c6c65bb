// `npm run demo`: a throwaway local Prosody, thingd-registry (the real Thing Registry, as a
// component), thingd with simulated sensors; the owner claims the Thing by sending its
// iotdisco: URI to the registry in a chat message, then reads momentary values every few
// seconds until Ctrl-C. Prosody also serves XMPP over WebSocket (mod_websocket) and the demo serves
// the web console (what `thingd console --listen` serves) on 127.0.0.1: it prints the console's
// URL and what to enter there, the owner's JID, password and the WebSocket URL.
// Options: --rounds N (stop after N readouts), --every SECONDS (default 3), --console-port PORT
// (default 0: a free one).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startProsody, type ProsodyServer } from "./lib/local-prosody.js";
import { xml, type Element } from "@xmpp/xml";
import { ReaderClient, type ReadResult } from "./lib/reader-client.js";
import { localXmppSection } from "./lib/sensor-map-yaml.js";
import { showPeople } from "./lib/people-demo.js";
import { findConsoleDir, startConsoleServer } from "../agent/commands/console.js";
import { bundleConsole } from "./bundle-console.js";
import { NS_ROSTER } from "../agent/protocol/ns.js";

const MAIN = fileURLToPath(new URL("../agent/main.js", import.meta.url));
const REGISTRY_MAIN = fileURLToPath(new URL("../registry/main.js", import.meta.url));

const THING = "thing@localhost/demo";
const OWNER = { jid: "owner@localhost", password: "owner-pw" };

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
  const run = (args: string[]) =>
    execFileSync(prefix[0] ?? args[0]!, [...prefix.slice(1), ...(prefix.length ? args : args.slice(1))], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
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

const bareJid = (jid: string): string => jid.split("/")[0] ?? jid;

/** The built console (dist/console); bundled here when `npm run demo` (tsc only) finds none. */
async function consoleDir(): Promise<string> {
  const found = await findConsoleDir();
  if (found) return found;
  console.log("Bundling the web console (dist/console)…");
  await bundleConsole();
  const built = await findConsoleDir();
  if (!built) throw new Error("the web console was bundled but dist/console/index.html is missing");
  return built;
}

function printConsole(url: string, websocketUrl: string): void {
  console.log(`\nWeb console: ${url}  (open it in a browser on this machine)`);
  console.log(`  JID:           ${OWNER.jid}`);
  console.log(`  Password:      ${OWNER.password}`);
  console.log(`  WebSocket URL: ${websocketUrl}`);
  console.log("It lists the demo Thing with live values; the same files are served by `thingd console --listen`.\n");
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { rounds: { type: "string" }, every: { type: "string", default: "3" }, "console-port": { type: "string", default: "0" } },
  });
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
      users: [
        { user: "thing", password: "thing-pw" },
        { user: "owner", password: OWNER.password },
      ],
      components: [{ domain: "registry.localhost", secret: "registry-secret" }],
      websocket: true,
    });
    cleanups.unshift(() => server.stop());
    const dir = await mkdtemp(path.join(tmpdir(), "thingd-demo-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const registryConfig = path.join(dir, "registry.yaml");
    await writeFile(
      registryConfig,
      `component:\n  service: xmpp://127.0.0.1:${server.componentPort}\n  jid: registry.localhost\n  secret: registry-secret\nstate_dir: ./registry-state\n`,
    );
    const registry = spawn(process.execPath, [REGISTRY_MAIN, "run", "-c", registryConfig], { stdio: ["ignore", "pipe", "inherit"] });
    const registryLog = createWriteStream(path.join(dir, "thingd-registry.log"));
    const registryOnline = new Promise<void>((resolve, reject) => {
      registry.stdout.on("data", (c: Buffer) => (registryLog.write(c), c.toString().includes('"component online"') && resolve()));
      registry.on("exit", (code) => reject(new Error(`thingd-registry exited with code ${code}`)));
    });
    cleanups.unshift(async () => {
      if (registry.exitCode === null) registry.kill("SIGTERM");
      await new Promise((r) => registry.once("exit", r));
    });
    await registryOnline;
    console.log(`thingd-registry started (pid ${registry.pid}) as component registry.localhost`);
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

    // thingd logs that it is registered and unclaimed (its claim code without the KEY); then
    // `thingd claim` reads the full code, the text its QR code holds, from the state file.
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("thingd did not register with thingd-registry within 30 s")), 30_000);
      agent.stdout.on("data", (c: Buffer) => {
        if (/"uri":"iotdisco:/.test(c.toString())) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    const claim = JSON.parse(execFileSync(process.execPath, [MAIN, "claim", "-c", config, "--json"], { cwd: dir, encoding: "utf8" })) as { uri?: string };
    if (!claim.uri) throw new Error("`thingd claim --json` printed no claim code");
    const uri = claim.uri;
    console.log(`Registered with registry.localhost, unclaimed. Its claim code (what its QR code holds):\n  ${uri}`);
    console.log("From any chat app: send that text to registry.localhost. The demo does it as owner@localhost:");

    const ca = await readFile(server.caFile, "utf8");
    const owner = await ReaderClient.connect({ service: server.service, domain: "localhost", jid: OWNER.jid, password: OWNER.password, ca });
    cleanups.unshift(() => owner.stop());
    // The owner approves the Thing's presence subscription, as a chat app asks its user to.
    owner.conn.entity.on("stanza", (el: Element) => {
      if (el.name === "presence" && el.attrs.type === "subscribe" && el.attrs.from === bareJid(THING))
        owner.conn.entity.send(xml("presence", { type: "subscribed", to: bareJid(THING) })).catch(() => undefined);
    });
    const answer = owner.waitFor((el) => el.name === "message" && el.attrs.from === "registry.localhost", 15_000);
    await owner.conn.entity.send(xml("message", { type: "chat", to: "registry.localhost" }, xml("body", {}, uri)));
    console.log(`  registry.localhost: ${(await answer).getChildText("body") ?? ""}`);
    // The Thing in the owner's roster (so the console lists it at login; the Thing approves its
    // owner). With its own request left pending, the Thing may see the owner as unavailable and
    // hold its pushes back.
    await owner.iq(xml("iq", { type: "set" }, xml("query", { xmlns: NS_ROSTER }, xml("item", { jid: bareJid(THING) }))));
    await owner.conn.entity.send(xml("presence", { type: "subscribe", to: bareJid(THING) }));
    await showPeople(owner, THING);
    const web = await startConsoleServer(await consoleDir(), "127.0.0.1", Number(values["console-port"]));
    cleanups.unshift(() => web.close());
    printConsole(web.url, server.websocketUrl ?? "");
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
