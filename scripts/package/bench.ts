// `npm run bench:package [-- --n 3]`: the .deb rows of docs/benchmarks.md. Needs both packages
// in release/ (npm run package -- --arch amd64|arm64), qemu-user-static and libc6:arm64.
// Each package is unpacked (dpkg-deb -x) and its own runtime runs its own app against a Prosody
// on loopback: arm64 under qemu-aarch64-static, amd64 natively, alternated. Prints the sizes,
// start → online (log line "online") and the RSS once online, as ratios arm64 ÷ amd64, since
// emulated times say nothing absolute about a Pi.
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { startProsody } from "../lib/local-prosody.js";
import { localXmppSection } from "../lib/sensor-map-yaml.js";
import { debFileName, LAYOUT, type DebArch } from "./deb-meta.js";

const REPO = fileURLToPath(new URL(import.meta.url.includes("/dist/scripts/") ? "../../../" : "../../", import.meta.url));
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface Sample {
  onlineMs: number;
  rssKiB: number;
}

/** Spawns `program run -c config`, waits for the "online" log line, reads VmRSS of the process, stops it. */
async function startOnce(program: string[], config: string): Promise<Sample> {
  const t = performance.now();
  const child = spawn(program[0]!, [...program.slice(1), "run", "-c", config], { stdio: ["ignore", "pipe", "inherit"] });
  let buf = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("not online within 180 s")), 180_000);
      child.stdout.setEncoding("utf8").on("data", (c: string) => {
        buf += c;
        if (buf.includes('"msg":"online"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => reject(new Error(`exited ${code} before online`)));
    });
    const onlineMs = performance.now() - t;
    await sleep(2_000); // let start-up garbage settle
    const status = await readFile(`/proc/${child.pid}/status`, "utf8");
    const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1]);
    return { onlineMs, rssKiB };
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, sleep(20_000).then(() => child.kill("SIGKILL"))]);
  }
}

const { values } = parseArgs({ options: { n: { type: "string", default: "3" } } });
const n = Number(values.n);
const version = (JSON.parse(await readFile(path.join(REPO, "package.json"), "utf8")) as { version: string }).version;
const debs = Object.fromEntries(
  (["arm64", "amd64"] as const).map((a) => {
    const deb = path.join(REPO, "release", debFileName(version, a));
    statSync(deb); // throws ENOENT naming it
    return [a, deb];
  }),
) as Record<DebArch, string>;

const server = await startProsody({ users: [{ user: "thing", password: "thing-pw" }] });
const dir = await mkdtemp(path.join(tmpdir(), "thingd-bench-deb-"));
try {
  const programs = {} as Record<DebArch, string[]>;
  const sizes = {} as Record<DebArch, { deb: number; installedKiB: number }>;
  for (const a of ["arm64", "amd64"] as const) {
    const root = path.join(dir, a);
    execFileSync("dpkg-deb", ["-x", debs[a], root]);
    const node = path.join(root, LAYOUT.node);
    const entry = path.join(root, LAYOUT.entry);
    programs[a] = a === "arm64" ? ["qemu-aarch64-static", "-L", "/", node, entry] : [node, entry];
    sizes[a] = { deb: statSync(debs[a]).size, installedKiB: Number(execFileSync("dpkg-deb", ["-f", debs[a], "Installed-Size"], { encoding: "utf8" }).trim()) };
  }
  const config = path.join(dir, "sensors.yaml");
  await writeFile(
    config,
    `${localXmppSection(server, { resource: "bench" })}state_dir: ./state\nsensors:\n  - { id: room, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", value: 21.4, decimals: 2 }] }\n`,
  );
  const samples: Record<DebArch, Sample[]> = { arm64: [], amd64: [] };
  for (let i = 0; i < n; i++) {
    for (const a of ["amd64", "arm64"] as const) {
      const s = await startOnce(programs[a], config);
      samples[a].push(s);
      console.log(`start ${i} ${a}: online ${s.onlineMs.toFixed(0)} ms, RSS ${s.rssKiB} KiB`);
    }
  }
  const online = { arm64: p50(samples.arm64.map((s) => s.onlineMs)), amd64: p50(samples.amd64.map((s) => s.onlineMs)) };
  const rss = { arm64: p50(samples.arm64.map((s) => s.rssKiB)), amd64: p50(samples.amd64.map((s) => s.rssKiB)) };
  const mb = (b: number) => (b / 1e6).toFixed(1);
  console.log(`\n| measure | arm64 | amd64 | target |
|---|---|---|---|
| .deb size (MB) | ${mb(sizes.arm64.deb)} | ${mb(sizes.amd64.deb)} | ≤ 45 |
| installed size (MB, Installed-Size) | ${mb(sizes.arm64.installedKiB * 1024)} | ${mb(sizes.amd64.installedKiB * 1024)} | ≤ 160 |
| start → online, p50 of ${n} (ms) | ${online.arm64.toFixed(0)} (qemu) | ${online.amd64.toFixed(0)} | - |
| start → online, arm64 under qemu ÷ amd64 | ${(online.arm64 / online.amd64).toFixed(1)} | 1 | - |
| RSS once online (MiB) | ${(rss.arm64 / 1024).toFixed(0)} (qemu process) | ${(rss.amd64 / 1024).toFixed(0)} | - |
| RSS, arm64 under qemu ÷ amd64 | ${(rss.arm64 / rss.amd64).toFixed(2)} | 1 | - |`);
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
