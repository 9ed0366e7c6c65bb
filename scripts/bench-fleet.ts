// `npm run bench:fleet [-- --n 30]`: a fleet of N thingd processes with ONE sensor map
// (jid "thing-{hostname}@localhost", self-provisioned accounts), each in its own folder and its
// own UTS namespace (so {hostname} differs, as on real boards; needs root for unshare), against
// one Prosody with open registration and our thingd-registry (the real one, as a component).
// Each board is claimed the way a person does it: the owner pastes the board's claim URI
// (`thingd claim --json`, run in the board's namespace) into a chat with the registry. Prints:
// start → all online, → all registered, → all claimed; then kill -9 of the server and a
// restart: server accepting → all back online, the connection attempts per second Prosody saw
// (its c2s log), and that no Thing registered again or lost its owner.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { startProsody } from "./lib/local-prosody.js";
import { ReaderClient } from "./lib/reader-client.js";
import { runRegistryProcess, writeRegistryConfig } from "./lib/registry-process.js";
import { xml, type Element } from "@xmpp/xml";
import { envAsDeployed } from "./lib/unit-env.js";

const MAIN = fileURLToPath(new URL("../agent/main.js", import.meta.url));
/** thingd runs with its systemd unit's environment (Node options, malloc arenas), as deployed. */
const UNIT_ENV = envAsDeployed(new URL("../../systemd/thingd.service", import.meta.url));
const { values } = parseArgs({ options: { n: { type: "string", default: "30" } } });
const N = Number(values.n);
if (spawnSync("unshare", ["--uts", "true"]).status !== 0) {
  console.error("bench:fleet runs each board in its own UTS namespace: it needs root and util-linux's unshare");
  process.exit(1);
}

interface Board {
  name: string;
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  fullJid?: string;
}

const secret = "fleet-secret";
const server = await startProsody({ registration: "open", components: [{ domain: "registry.localhost", secret }], users: [{ user: "owner", password: "owner-pw" }] });
const root = await mkdtemp(path.join(tmpdir(), "thingd-fleet-"));
const registry = runRegistryProcess(["run", "-c", await writeRegistryConfig(root, server, "registry.localhost"), "--log-level", "info"]);
await registry.waitForLog((l) => l.msg === "component online", 30_000);
/** Things the registry logged a registration of (new or renewed), from its log line `from` on. */
const registeredThings = (from = 0) =>
  new Set(registry.lines.slice(from).filter((l) => l.msg === "Thing registered" || l.msg === "registration renewed").map((l) => l.thing));

/** The board's claim URI, as `thingd claim` prints it on the board (its hostname, its state). */
function claimUri(name: string): string {
  const r = spawnSync("unshare", ["--uts", "sh", "-c", `hostname ${name} && exec "$0" "$@"`, process.execPath, MAIN, "claim", "--json", "-c", path.join(root, name, "sensors.yaml")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`thingd claim on ${name} failed (${r.status}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { uri: string }).uri;
}

/** The owner pastes `uri` into a chat with the registry and waits for its answer. */
async function claimByChat(owner: ReaderClient, uri: string): Promise<string> {
  const answer = owner.waitFor((el: Element) => el.name === "message" && el.attrs.from === "registry.localhost" && el.getChildText("body") !== null, 15_000);
  await owner.conn.entity.send(xml("message", { type: "chat", to: "registry.localhost" }, xml("body", {}, uri)));
  return (await answer).getChildText("body") ?? "";
}
const map = `xmpp:
  service: ${server.service}
  jid: "thing-{hostname}@localhost"
  resource: gw
  register: true
  keepalive: 10s
  tls: { ca: ${server.caFile} }
registry:
  jid: registry.localhost
  meta: { MAN: example.com, MODEL: fleet-bench, LOC: "{hostname}" }
history: { enabled: false }
state_dir: ./state
sensors:
  - { id: room, driver: simulated, every: 5s, fields: [{ name: temperature, unit: "°C", min: 18, max: 24, decimals: 1 }] }
`;

function startBoard(i: number): Board {
  const name = `board-${String(i).padStart(2, "0")}`;
  const folder = path.join(root, name);
  const child = spawn("unshare", ["--uts", "sh", "-c", `hostname ${name} && exec "$0" "$@"`, process.execPath, MAIN, "run", "-c", path.join(folder, "sensors.yaml")], {
    stdio: ["ignore", "pipe", "inherit"],
    env: UNIT_ENV,
  });
  const board: Board = { name, child, lines: [] };
  let buf = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    buf += d;
    let k;
    while ((k = buf.indexOf("\n")) >= 0) {
      try {
        const l = JSON.parse(buf.slice(0, k)) as Record<string, unknown>;
        board.lines.push(l);
        if (l.msg === "online" && typeof l.jid === "string") board.fullJid = l.jid;
      } catch {
        /* not a log line */
      }
      buf = buf.slice(k + 1);
    }
  });
  return board;
}

const count = (boards: Board[], msg: string, from = 0) => boards.filter((b) => b.lines.slice(from).some((l) => l.msg === msg)).length;
async function until(what: string, done: () => boolean, timeoutMs: number): Promise<number> {
  const t = performance.now();
  while (!done()) {
    if (performance.now() - t > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
  return performance.now() - t;
}

/**
 * Per second of Prosody's log (its time stamps have one-second resolution), the lines matching
 * `what`: c2s TCP connections ("Client connected", which includes thingd's bare port probes)
 * or logins ("Authenticated as"). Seconds with none in between count as 0.
 */
async function perSecond(fromLine: number, what: RegExp): Promise<number[]> {
  const lines = (await readFile(server.logFile, "utf8")).split("\n").slice(fromLine);
  const seconds = new Map<number, number>();
  for (const l of lines) {
    if (!what.test(l)) continue;
    const t = Date.parse(`1970-01-01T${l.slice(7, 15)}Z`) / 1000;
    if (Number.isFinite(t)) seconds.set(t, (seconds.get(t) ?? 0) + 1);
  }
  if (seconds.size === 0) return [];
  const first = Math.min(...seconds.keys());
  const last = Math.max(...seconds.keys());
  return Array.from({ length: last - first + 1 }, (_, i) => seconds.get(first + i) ?? 0);
}

const boards: Board[] = [];
try {
  for (let i = 1; i <= N; i++) {
    await mkdir(path.join(root, `board-${String(i).padStart(2, "0")}`));
    await writeFile(path.join(root, `board-${String(i).padStart(2, "0")}`, "sensors.yaml"), map);
  }
  const t0 = performance.now();
  for (let i = 1; i <= N; i++) boards.push(startBoard(i));
  await until("all online", () => count(boards, "online") === N, 120_000);
  const online = performance.now() - t0;
  await until("all registered", () => registeredThings().size >= N, 60_000);
  const registered = performance.now() - t0;
  const owner = await ReaderClient.connect({ service: server.service, domain: "localhost", jid: "owner@localhost", password: "owner-pw", ca: await readFile(server.caFile, "utf8") });
  for (const b of boards) {
    const answer = await claimByChat(owner, claimUri(b.name));
    if (!answer.startsWith("You now own")) throw new Error(`claiming ${b.name}: the registry answered "${answer}"`);
  }
  await until("all claimed", () => count(boards, "claimed") === N, 60_000);
  const claimed = performance.now() - t0;
  await owner.conn.entity.stop().catch(() => undefined);
  const registryLinesBefore = registry.lines.length;

  const logLinesBefore = (await readFile(server.logFile, "utf8")).split("\n").length;
  const linesBefore = boards.map((b) => b.lines.length);
  await server.kill();
  await sleep(3_000); // every board notices and starts backing off
  await server.restart();
  const accepting = performance.now();
  await registry.waitForLog((l) => registry.lines.indexOf(l) >= registryLinesBefore && l.msg === "component online", 30_000);
  await until("all back", () => boards.every((b, i) => b.lines.slice(linesBefore[i]).some((l) => l.msg === "online")), 120_000);
  const back = performance.now() - accepting;
  await sleep(2_000);
  const connects = await perSecond(logLinesBefore, /c2s\w*\s+info\s+Client connected/);
  const logins = await perSecond(logLinesBefore, /\sinfo\s+Authenticated as /);
  const reRegistered = registeredThings(registryLinesBefore).size;
  const states = await Promise.all(boards.map(async (b) => JSON.parse(await readFile(path.join(root, b.name, "state", "thing-state.json"), "utf8")) as { owner?: string; status: string }));
  const lostOwner = states.filter((s) => s.owner !== "owner@localhost").length;

  const rss = boards.map((b) => Number(spawnSync("ps", ["-o", "rss=", "-p", String(b.child.pid)], { encoding: "utf8" }).stdout.trim()) / 1024).filter((x) => x > 0);
  console.log(`fleet of ${N} thingd (one map, self-provisioned accounts, own UTS namespace each), one Prosody:`);
  console.log(`  start → all online:      ${(online / 1000).toFixed(1)} s (target ≤ 15 s)`);
  console.log(`  start → all registered:  ${(registered / 1000).toFixed(1)} s`);
  console.log(`  start → all claimed:     ${(claimed / 1000).toFixed(1)} s`);
  console.log(`  server kill -9 + restart: accepting → all back online ${(back / 1000).toFixed(1)} s (target ≤ 5 s)`);
  console.log(`  logins per second after the restart: ${logins.join(", ")} (peak ${Math.max(0, ...logins)}, spread over ${logins.length} s)`);
  console.log(`  c2s TCP connections per second (logins and port probes): ${connects.join(", ")}`);
  console.log(`  registered again after the restart: ${reRegistered}; owners lost: ${lostOwner}`);
  console.log(`  RSS per thingd: median ${rss.sort((a, b) => a - b)[Math.floor(rss.length / 2)]?.toFixed(0)} MB`);
} finally {
  await Promise.all(boards.map(async (b) => {
    if (b.child.exitCode === null) {
      const exited = new Promise((r) => b.child.once("exit", r));
      b.child.kill("SIGTERM");
      await Promise.race([exited, sleep(5_000)]);
    }
  }));
  await registry.stop();
  await server.stop();
  await rm(root, { recursive: true, force: true });
}
