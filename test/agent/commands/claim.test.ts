// `thingd claim`: the iotdisco: URI and QR code while unclaimed, the owner once claimed.
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { claimCommand } from "../../../agent/commands/claim.js";
import { STATE_FILE, type ThingState } from "../../../agent/ownership/state.js";

const KEY = "0123456789abcdef0123456789abcdef";
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function setup(opts: { registry?: boolean; state?: Partial<ThingState>; bakOnly?: boolean } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), "thingd-claim-"));
  dirs.push(dir);
  const file = path.join(dir, "sensors.yaml");
  await writeFile(
    file,
    `xmpp: { service: "xmpp://127.0.0.1:5222", jid: thing@localhost, password_file: ./nope }
${opts.registry === false ? "" : "registry: { jid: registry.example.org, meta: { MAN: example.com, MODEL: PiGateway, V: 1.5 } }\n"}state_dir: ./state
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: t, unit: "°C" }] }
`,
  );
  const stateDir = path.join(dir, "state");
  await mkdir(stateDir);
  // The SN comes from a fake board, so the URI is the same on every machine.
  const cpuinfo = path.join(dir, "cpuinfo");
  await writeFile(cpuinfo, "Serial\t\t: 00000000a1b2c3d4\n");
  const boardPaths = { cpuinfo, dtSerial: path.join(dir, "none"), machineId: path.join(dir, "none") };
  if (opts.state) {
    const state: ThingState = { version: 1, key: KEY, status: "UNREGISTERED", ...opts.state };
    await writeFile(path.join(stateDir, opts.bakOnly ? `${STATE_FILE}.bak` : STATE_FILE), JSON.stringify(state));
  }
  return { file, stateDir, boardPaths };
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

const URI = `iotdisco:SN=00000000a1b2c3d4;MAN=example.com;MODEL=PiGateway;#V=1.5;KEY=${KEY};R=registry.example.org`;

describe("thingd claim", () => {
  it("unclaimed: prints the iotdisco: URI with KEY and R, a QR code and how to claim", async () => {
    const { file, boardPaths } = await setup({ state: { status: "UNREGISTERED" } });
    const c = capture();
    expect(await claimCommand({ config: file, boardPaths }, c.io)).toBe(0);
    const text = c.out.join("\n");
    expect(c.out).toContain(URI);
    // The QR block: many lines made only of half/full block characters and spaces.
    const qrLines = text.split("\n").filter((l) => l.length > 20 && /^[\u2580\u2584\u2588 ]+$/.test(l));
    expect(qrLines.length).toBeGreaterThan(10);
    expect(text).toMatch(/█/);
    expect(text).toMatch(/XMPP IoT app/);
    expect(text).toContain("<mine>");
    expect(c.err).toEqual([]);
  });

  it("unclaimed --json: status and uri", async () => {
    const { file, boardPaths } = await setup({ state: { status: "REGISTERED", registry: "registry.example.org" } });
    const c = capture();
    expect(await claimCommand({ config: file, json: true, boardPaths }, c.io)).toBe(0);
    expect(JSON.parse(c.out.join("\n"))).toEqual({ status: "REGISTERED", uri: URI });
  });

  it("falls back to the .bak copy of the state file", async () => {
    const { file, boardPaths } = await setup({ state: { status: "UNREGISTERED" }, bakOnly: true });
    const c = capture();
    expect(await claimCommand({ config: file, json: true, boardPaths }, c.io)).toBe(0);
    expect(JSON.parse(c.out.join("\n")).uri).toBe(URI);
  });

  it("claimed: the owner line and no KEY anywhere", async () => {
    const { file, boardPaths } = await setup({ state: { status: "CLAIMED", owner: "owner@example.org", registry: "registry.example.org" } });
    const c = capture();
    expect(await claimCommand({ config: file, boardPaths }, c.io)).toBe(0);
    expect(c.out).toEqual(["Claimed by owner@example.org (registry registry.example.org)"]);
    const all = [...c.out, ...c.err].join("\n");
    expect(all).not.toContain(KEY);
    expect(all).not.toMatch(/KEY|iotdisco:/);

    const j = capture();
    expect(await claimCommand({ config: file, json: true, boardPaths }, j.io)).toBe(0);
    expect(JSON.parse(j.out.join("\n"))).toEqual({ status: "CLAIMED", owner: "owner@example.org" });
    expect(j.out.join("\n")).not.toContain(KEY);
  });

  it("no state file: exit 1, says the daemon has not run yet, creates nothing", async () => {
    const { file, stateDir, boardPaths } = await setup();
    const c = capture();
    expect(await claimCommand({ config: file, boardPaths }, c.io)).toBe(1);
    expect(c.err.join("\n")).toContain(`no state file in ${stateDir}`);
    expect(c.err.join("\n")).toMatch(/has not run yet/);
    expect(c.out).toEqual([]);
    expect(await readdir(stateDir)).toEqual([]);
  });

  it("no registry configured: exit 1 and says so", async () => {
    const { file, boardPaths } = await setup({ registry: false, state: { status: "UNREGISTERED" } });
    const c = capture();
    expect(await claimCommand({ config: file, boardPaths }, c.io)).toBe(1);
    expect(c.err.join("\n")).toMatch(/no registry configured/);
    expect(c.out.join("\n")).not.toContain(KEY);
  });

  it("no registry configured but one discovered by the daemon (in the state): uses it", async () => {
    const { file, boardPaths } = await setup({ registry: false, state: { status: "REGISTERED", registry: "found.example.org" } });
    const c = capture();
    expect(await claimCommand({ config: file, json: true, boardPaths }, c.io)).toBe(0);
    expect(JSON.parse(c.out.join("\n")).uri).toBe(`iotdisco:SN=00000000a1b2c3d4;KEY=${KEY};R=found.example.org`);
  });

  it("exit 78 on an invalid sensor map", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "thingd-claim-"));
    dirs.push(dir);
    const file = path.join(dir, "sensors.yaml");
    await writeFile(file, "xmpp: {}\n");
    const c = capture();
    expect(await claimCommand({ config: file }, c.io)).toBe(78);
  });
});
