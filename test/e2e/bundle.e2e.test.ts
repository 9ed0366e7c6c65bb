// The single-file bundle (scripts/bundle.ts, what dist/agent/main.js runs after `npm run build`):
// native, optional and patched modules stay external, and the bundled daemon logs in to a real
// Prosody and answers a readout. Bundled to a test-only file in dist/ (the real bundle's folder,
// so package.json and node_modules resolve the same way) that other tests never run.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, expect, it } from "vitest";
import { BUNDLE_FILE, bundleThingd } from "../../scripts/bundle.js";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { ReaderClient } from "../../scripts/lib/reader-client.js";
import { localXmppSection } from "../../scripts/lib/sensor-map-yaml.js";

const OUT = path.join(path.dirname(BUNDLE_FILE), `thingd.bundle.test-${process.pid}.mjs`);
let server: ProsodyServer | undefined;
let child: ChildProcess | undefined;
let reader: ReaderClient | undefined;
let dir: string | undefined;

afterAll(async () => {
  child?.kill("SIGKILL");
  await reader?.stop().catch(() => undefined);
  await server?.stop();
  await rm(OUT, { force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the bundle's main() like dist/agent/main.js does; stdout collected. */
function runBundle(args: string[]): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const runner = `const { main } = await import(${JSON.stringify(pathToFileURL(OUT).href)}); const code = await main(process.argv.slice(1)); setImmediate(() => process.exit(code));`;
  const c = spawn(process.execPath, ["--input-type=module", "-e", runner, "--", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  c.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  c.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  return { child: c, out: () => out, exit: new Promise((r) => c.once("exit", r)) };
}

it("bundles everything but the native, optional and patched modules", async () => {
  const meta = await bundleThingd(OUT);
  const inputs = Object.keys(meta.inputs);
  expect(inputs.some((f) => f.includes("node_modules/zod/"))).toBe(true);
  expect(inputs.some((f) => f.includes("node_modules/@xmpp/sasl-scram-sha-1/"))).toBe(true);
  // fast-pbkdf2 patches sasl-scram-sha-1's exports through require(): it must stay one shared module.
  for (const external of ["sasl-scram-sha-1/", "serialport", "i2c-bus", "onoff", "koffi", "qrcode-terminal"]) {
    expect(inputs.filter((f) => f.includes(`node_modules/${external}`))).toEqual([]);
  }
  const version = runBundle(["--version"]);
  expect(await version.exit).toBe(0);
  const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  expect(version.out().trim()).toBe(pkg.version); // version.ts finds package.json from dist/
});

it("the bundled daemon logs in, comes online and answers a readout", async () => {
  server = await startProsody({ users: ["thing", "reader"].map((u) => ({ user: u, password: `${u}-pw` })) });
  dir = await mkdtemp(path.join(tmpdir(), "thingd-bundle-"));
  const config = path.join(dir, "sensors.yaml");
  await writeFile(
    config,
    `${localXmppSection(server, { resource: "bundle", password: "thing-pw" })}access:\n  owner: reader@localhost\nstate_dir: ./state\nsensors:\n  - id: room\n    driver: simulated\n    every: 1s\n    fields: [{ name: temperature, unit: "°C", value: 21.5, decimals: 1 }]\n`,
  );
  const run = runBundle(["run", "-c", config, "--log-level", "info"]);
  child = run.child;
  await expect.poll(() => run.out().includes('"msg":"online"'), { timeout: 20_000, interval: 100 }).toBe(true);
  reader = await ReaderClient.connect({ service: server.service, domain: "localhost", jid: "reader@localhost", password: "reader-pw", ca: await readFile(server.caFile, "utf8") });
  const r = await reader.read("thing@localhost/bundle", { momentary: "true" }, [], 10_000);
  expect(r.fields.map((f) => [f.name, f.value])).toEqual([["temperature", "21.5"]]);
  child.kill("SIGTERM");
  expect(await run.exit).toBe(0);
});
