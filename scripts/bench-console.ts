// `npm run bench:console [-- --things 20 --fields 10 --logins 5 --seconds 30]`: the web console
// (dist/console, served by `thingd console`'s server) in Debian's chromium (playwright-core),
// logged in as the owner of N real thingd processes on one real Prosody with mod_websocket, each
// Thing with one simulated sensor of F fields read every second (pushed to the console as IEEE
// event subscriptions). Prints:
//   - login → first values shown and login → every Thing's values shown (ms, median of the
//     logins; each in a fresh browser context, timed inside the page from the click on "Log in");
//   - main-thread busy % over S seconds of live updates: CDP Performance.getMetrics TaskDuration
//     (and ScriptDuration) deltas over the wall time, plus PerformanceObserver "longtask" totals,
//     and how many value cells changed meanwhile (so an idle page cannot pass for a fast one).
// Targets (docs/benchmarks.md): first values ≤ 1 s, busy ≤ 10 %.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { xml, type Element as XmlElement } from "@xmpp/xml";
import { chromium, type Browser, type Page } from "playwright-core";
import { findConsoleDir, startConsoleServer } from "../agent/commands/console.js";
import { NS_ROSTER } from "../agent/protocol/ns.js";
import { startProsody, type ProsodyServer } from "./lib/local-prosody.js";
import { ReaderClient } from "./lib/reader-client.js";

const MAIN = fileURLToPath(new URL("../agent/main.js", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const OWNER = { user: "owner", password: "owner-pw" };

const { values } = parseArgs({
  options: {
    things: { type: "string", default: "20" },
    fields: { type: "string", default: "10" },
    logins: { type: "string", default: "5" },
    seconds: { type: "string", default: "30" },
  },
});
const N = Number(values.things);
const F = Number(values.fields);
const LOGINS = Number(values.logins);
const SECONDS = Number(values.seconds);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function sensorMap(server: ProsodyServer, i: number): string {
  const fields = Array.from({ length: F }, (_, f) => `{ name: f${f}, unit: "°C", min: 10, max: 30, decimals: 2 }`).join(", ");
  return `xmpp:
  service: ${server.service}
  jid: thing${i}@localhost
  password: thing${i}-pw
  resource: bench
  tls: { ca: ${server.caFile} }
access:
  owner: ${OWNER.user}@localhost
history: { enabled: false }
state_dir: ./state
sensors:
  - { id: s, driver: simulated, every: 1s, seed: ${i + 1}, fields: [${fields}] }
`;
}

interface Thing {
  child: ChildProcess;
  online: Promise<void>;
  exited: Promise<unknown>;
}

function startThing(dir: string): Thing {
  const child = spawn(process.execPath, [MAIN, "run", "-c", path.join(dir, "sensors.yaml")], { cwd: dir, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const online = new Promise<void>((resolve, reject) => {
    let buf = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      buf = (buf + d).slice(-4096);
      if (buf.includes('"msg":"online"')) resolve();
    });
    exited.then((code) => reject(new Error(`thingd in ${dir} exited (${String(code)}) before it came online`))).catch(() => undefined);
  });
  child.stdout!.resume();
  return { child, online, exited };
}

/** The owner's roster lists every Thing (what "Add a thing" in the console does), subscriptions approved. */
async function befriend(server: ProsodyServer, jids: string[]): Promise<void> {
  const owner = await ReaderClient.connect({
    service: server.service,
    domain: "localhost",
    jid: `${OWNER.user}@localhost`,
    password: OWNER.password,
    ca: await readFile(server.caFile, "utf8"),
    resource: "setup",
  });
  owner.conn.entity.on("stanza", (el: XmlElement) => {
    if (el.name === "presence" && el.attrs.type === "subscribe" && el.attrs.from)
      owner.conn.entity.send(xml("presence", { type: "subscribed", to: el.attrs.from })).catch(() => undefined);
  });
  const seen = new Set<string>();
  const allOnline = new Promise<void>((resolve) => {
    owner.conn.entity.on("stanza", (el: XmlElement) => {
      const from = el.attrs.from?.split("/")[0];
      if (el.name === "presence" && el.attrs.type === undefined && from && jids.includes(from)) seen.add(from);
      if (seen.size === jids.length) resolve();
    });
  });
  for (const jid of jids) {
    await owner.iq(xml("iq", { type: "set" }, xml("query", { xmlns: NS_ROSTER }, xml("item", { jid }))));
    await owner.conn.entity.send(xml("presence", { type: "subscribe", to: jid }));
  }
  const t = setTimeout(() => console.error(`still waiting for presence from ${jids.filter((j) => !seen.has(j)).join(", ")}`), 30_000);
  await allOnline;
  clearTimeout(t);
  await owner.stop();
}

/** In the page: time from the click on "Log in" to the first value and to a value on every card. */
const TIMING_PROBE = (n: number): void => {
  const w = window as unknown as { __bench: { click?: number; first?: number; all?: number } };
  w.__bench = {};
  document.addEventListener(
    "click",
    (ev) => {
      if (ev.target instanceof HTMLElement && /Log in/.test(ev.target.textContent ?? "")) w.__bench.click = performance.now();
    },
    true,
  );
  const check = () => {
    const b = w.__bench;
    if (b.click === undefined || b.all !== undefined) return;
    const cards = [...document.querySelectorAll("article.card")];
    const withValue = cards.filter((c) => [...c.querySelectorAll("tr[data-field] .value")].some((v) => (v.textContent ?? "").trim() !== ""));
    if (withValue.length > 0 && b.first === undefined) b.first = performance.now();
    if (withValue.length >= n) b.all = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true });
};

async function login(page: Page, url: string, websocketUrl: string): Promise<{ first: number; all: number }> {
  await page.addInitScript(TIMING_PROBE, N);
  await page.goto(url);
  await page.getByLabel("JID").fill(`${OWNER.user}@localhost`);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByLabel("WebSocket URL (optional)").fill(websocketUrl);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForFunction(() => (window as unknown as { __bench: { all?: number } }).__bench.all !== undefined, undefined, {
    timeout: 60_000,
    polling: 100,
  });
  const b = await page.evaluate(() => (window as unknown as { __bench: { click: number; first: number; all: number } }).__bench);
  return { first: b.first - b.click, all: b.all - b.click };
}

/** Busy share of the main thread while values stream in. */
interface Busy {
  taskPct: number;
  scriptPct: number;
  layoutPct: number;
  stylePct: number;
  layoutsPerS: number;
  nodes: number;
  longTasks: number;
  longTaskMs: number;
  cellChanges: number;
  wallS: number;
}

async function measureBusy(page: Page): Promise<Busy> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable", { timeDomain: "timeTicks" });
  await page.evaluate(() => {
    const w = window as unknown as { __busy: { longTasks: number; longTaskMs: number; cellChanges: number } };
    w.__busy = { longTasks: 0, longTaskMs: 0, cellChanges: 0 };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        w.__busy.longTasks++;
        w.__busy.longTaskMs += e.duration;
      }
    }).observe({ type: "longtask" });
    // Every 500 ms, how many value cells show another text than before (a card may be redrawn
    // whole, so mutation targets do not say which values changed). Its own cost counts as busy.
    const last = new Map<string, string>();
    const sample = () => {
      let changed = 0;
      for (const row of document.querySelectorAll("article.card section.node tr[data-field]")) {
        const key = `${row.closest("article.card")?.getAttribute("data-jid")}/${row.closest("section.node")?.getAttribute("data-node")}/${row.getAttribute("data-field")}`;
        const text = row.querySelector(".value")?.textContent ?? "";
        if (last.has(key) && last.get(key) !== text) changed++;
        last.set(key, text);
      }
      return changed;
    };
    sample();
    setInterval(() => (w.__busy.cellChanges += sample()), 500);
  });
  const metrics = async () => {
    const r = (await cdp.send("Performance.getMetrics")) as { metrics: Array<{ name: string; value: number }> };
    const m = new Map(r.metrics.map((x) => [x.name, x.value]));
    return {
      t: m.get("Timestamp") ?? 0,
      task: m.get("TaskDuration") ?? 0,
      script: m.get("ScriptDuration") ?? 0,
      layout: m.get("LayoutDuration") ?? 0,
      style: m.get("RecalcStyleDuration") ?? 0,
      layouts: m.get("LayoutCount") ?? 0,
      nodes: m.get("Nodes") ?? 0,
    };
  };
  const a = await metrics();
  await sleep(SECONDS * 1000);
  const b = await metrics();
  const counts = await page.evaluate(() => (window as unknown as { __busy: { longTasks: number; longTaskMs: number; cellChanges: number } }).__busy);
  await cdp.detach();
  const wall = b.t - a.t;
  const pct = (x: number, y: number) => (100 * (y - x)) / wall;
  return {
    taskPct: pct(a.task, b.task),
    scriptPct: pct(a.script, b.script),
    layoutPct: pct(a.layout, b.layout),
    stylePct: pct(a.style, b.style),
    layoutsPerS: (b.layouts - a.layouts) / wall,
    nodes: b.nodes,
    ...counts,
    wallS: wall,
  };
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error("chromium is not installed: apt-get install -y chromium");
  const consoleDir = await findConsoleDir();
  if (!consoleDir) throw new Error("dist/console is not built: npm run build");
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const users = Array.from({ length: N }, (_, i) => ({ user: `thing${i}`, password: `thing${i}-pw` }));
    const server = await startProsody({ users: [...users, OWNER], websocket: true });
    cleanups.unshift(() => server.stop());
    const root = await mkdtemp(path.join(tmpdir(), "thingd-bench-console-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const things: Thing[] = [];
    for (let i = 0; i < N; i++) {
      const dir = path.join(root, `thing${i}`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, "sensors.yaml"), sensorMap(server, i));
      things.push(startThing(dir));
    }
    cleanups.unshift(async () => {
      for (const t of things) if (t.child.exitCode === null) t.child.kill("SIGTERM");
      await Promise.all(things.map((t) => t.exited));
    });
    await Promise.all(things.map((t) => t.online));
    await befriend(
      server,
      users.map((u) => `${u.user}@localhost`),
    );
    const web = await startConsoleServer(consoleDir, "127.0.0.1", 0);
    cleanups.unshift(() => web.close());
    const browser: Browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    cleanups.unshift(() => browser.close());
    console.log(`${N} thingd processes (real), ${F} simulated fields each, read every 1 s; Prosody mod_websocket; chromium ${browser.version()} headless`);
    console.log(
      `machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );

    const firsts: number[] = [];
    const alls: number[] = [];
    let page: Page | undefined;
    for (let i = 0; i < LOGINS; i++) {
      const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
      page = await context.newPage();
      const r = await login(page, web.url, server.websocketUrl ?? "");
      firsts.push(r.first);
      alls.push(r.all);
      console.log(`login ${i + 1}: first values ${r.first.toFixed(0)} ms, all ${N} Things ${r.all.toFixed(0)} ms`);
      if (i < LOGINS - 1) await context.close();
    }
    console.log(
      `login → first values shown: median ${median(firsts).toFixed(0)} ms (target ≤ 1000 ms); → all ${N} Things: median ${median(alls).toFixed(0)} ms`,
    );

    await sleep(3000); // the last login's subscriptions settle
    const busy = await measureBusy(page!);
    console.log(
      `main thread over ${busy.wallS.toFixed(1)} s of live updates: busy ${busy.taskPct.toFixed(1)} % (CDP TaskDuration; target ≤ 10 %), script ${busy.scriptPct.toFixed(1)} % (ScriptDuration), ` +
        `${busy.longTasks} long tasks (${busy.longTaskMs.toFixed(0)} ms), ${busy.cellChanges} value changes seen (${(busy.cellChanges / busy.wallS).toFixed(0)}/s, sampled every 500 ms)`,
    );
    console.log(
      `  of which style recalculation ${busy.stylePct.toFixed(1)} %, layout ${busy.layoutPct.toFixed(1)} % (${busy.layoutsPerS.toFixed(1)} layouts/s); ${busy.nodes} DOM nodes`,
    );
    console.log(
      `load average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
  } finally {
    for (const c of cleanups) await c().catch((err: unknown) => console.error("cleanup:", err));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
