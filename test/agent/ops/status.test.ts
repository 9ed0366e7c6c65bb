// `thingd status`: the snapshot built from real Pollers over the simulated driver, the status
// socket and its status.json fallback, the exit-code rules and the command end to end.
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { Poller } from "../../../agent/sensors/poller.js";
import {
  buildStatusSnapshot,
  STATUS_FILE,
  STATUS_SOCKET,
  type StatusSnapshot,
  type SupervisorView,
} from "../../../agent/ops/status.js";
import { formatSeconds, formatStatus } from "../../../agent/ops/status-format.js";
import { readStatus } from "../../../agent/ops/status-client.js";
import { startStatusServer } from "../../../agent/ops/status-server.js";
import { statusCommand, statusExitCode } from "../../../agent/commands/status.js";
import { simulated, simulatedConfigSchema } from "../../../drivers/simulated.js";

const log = pino({ level: "silent" });

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "thingd-status-"));
  dirs.push(dir);
  return dir;
}

async function poller(id: string, extra: Record<string, unknown> = {}) {
  const cfg = simulatedConfigSchema.parse({
    fields: [
      { name: "temperature", unit: "°C", value: 21.5, decimals: 2 },
      { name: "count", unit: "", value: 3, decimals: 0 },
    ],
    ...extra,
  });
  const sensor = await simulated.open(cfg, { bus: undefined as never, log, id });
  return new Poller({ id, driver: "simulated", periodMs: 60_000, timeoutMs: 300 }, sensor, log);
}

const online: SupervisorView = {
  state: "online",
  connectedSince: new Date("2026-11-25T10:00:00.000Z"),
  current: { entity: { jid: { toString: () => "thing@example.org/gateway" } } },
};

function snapshotOf(pollers: Poller[], supervisor: SupervisorView = online, now = new Date("2026-11-25T12:00:00.000Z")): StatusSnapshot {
  return buildStatusSnapshot({
    pollers,
    supervisor,
    state: { status: "CLAIMED", registry: "registry.example.org", owner: "owner@example.org" },
    jid: "thing@example.org",
    startedAt: new Date("2026-11-25T09:59:00.000Z"),
    version: "0.1.0",
    memoryUsage: { rss: 50 * 1024 * 1024, heapUsed: 12 * 1024 * 1024 },
    pid: 4242,
    now,
  });
}

describe("buildStatusSnapshot", () => {
  it("reports each sensor's last values, age, counts and failure, and the session", async () => {
    const good = await poller("room");
    const bad = await poller("air", { fail: true });
    const never = await poller("idle");
    await good.poll();
    await expect(bad.poll()).rejects.toThrow("simulated failure");
    const now = new Date(good.latest!.at + 4_000);
    const s = snapshotOf([good, bad, never], online, now);

    expect(s).toMatchObject({
      version: "0.1.0",
      pid: 4242,
      startedAt: "2026-11-25T09:59:00.000Z",
      generatedAt: now.toISOString(),
      rssBytes: 50 * 1024 * 1024,
      heapUsedBytes: 12 * 1024 * 1024,
      xmpp: { state: "online", jid: "thing@example.org/gateway", connectedSince: "2026-11-25T10:00:00.000Z" },
      registry: { jid: "registry.example.org", status: "CLAIMED", owner: "owner@example.org" },
    });
    expect(s.sensors[0]).toStrictEqual({
      id: "room",
      driver: "simulated",
      lastReadAt: new Date(good.latest!.at).toISOString(),
      ageSeconds: 4,
      lastValues: [
        { name: "temperature", value: "21.50", unit: "°C" },
        { name: "count", value: "3" }, // dimensionless: no unit
      ],
      errorCount: 0,
      readCount: 1,
      failing: false,
    });
    expect(s.sensors[1]).toMatchObject({ id: "air", errorCount: 1, readCount: 0, lastError: "simulated failure", failing: true, lastValues: [] });
    expect(s.sensors[1]!.lastErrorAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(s.sensors[2]).toStrictEqual({ id: "idle", driver: "simulated", lastValues: [], errorCount: 0, readCount: 0, failing: false });
    await Promise.all([good, bad, never].map((p) => p.close()));
  });

  it("shows the configured JID while offline, and never the claim KEY", async () => {
    const offline: SupervisorView = { state: "connecting", connectedSince: new Date(), current: undefined };
    const state = { version: 1 as const, key: "0123456789abcdef0123456789abcdef", status: "UNREGISTERED" as const };
    const s = buildStatusSnapshot({
      pollers: [],
      supervisor: offline,
      state,
      jid: "thing@example.org",
      registryJid: "registry.example.org",
      startedAt: new Date(0),
      version: "x",
      memoryUsage: { rss: 1, heapUsed: 1 },
      pid: 1,
      now: new Date(90_000),
    });
    expect(s.xmpp).toStrictEqual({ state: "connecting", jid: "thing@example.org" });
    expect(s.registry).toStrictEqual({ jid: "registry.example.org", status: "UNREGISTERED" });
    expect(s.uptimeSeconds).toBe(90);
    expect(JSON.stringify(s)).not.toContain(state.key);
  });

  it("a sensor that failed and then read again is not failing", async () => {
    const p = await poller("flaky");
    p.lastError = { error: new Error("once"), at: Date.now() - 10_000 };
    p.errorCount = 1;
    await p.poll();
    expect(snapshotOf([p]).sensors[0]).toMatchObject({ failing: false, errorCount: 1, lastError: "once" });
  });
});

describe("status server", () => {
  it("answers one JSON line per connection on a 0660 socket, and keeps status.json", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, STATUS_SOCKET), "left by a crash"); // stale: must be replaced
    let calls = 0;
    const snap = snapshotOf([]);
    const server = await startStatusServer(dir, () => (calls++, { ...snap, uptimeSeconds: calls }), log, { fileIntervalMs: 50 });
    try {
      expect(server.socketPath).toBe(path.join(dir, STATUS_SOCKET));
      const info = await stat(server.socketPath);
      expect(info.isSocket()).toBe(true);
      expect(info.mode & 0o777).toBe(0o660);

      const first = await readStatus(dir, 1_000);
      const second = await readStatus(dir, 1_000);
      expect(first.live).toBe(true);
      expect(first.snapshot!.xmpp.jid).toBe("thing@example.org/gateway");
      expect(second.snapshot!.uptimeSeconds).toBeGreaterThan(first.snapshot!.uptimeSeconds);

      // Rewritten on its interval (0640: readable like the socket).
      const before = calls;
      await expect.poll(() => calls, { timeout: 2_000 }).toBeGreaterThan(before + 1);
      expect((await stat(path.join(dir, STATUS_FILE))).mode & 0o777).toBe(0o640);
    } finally {
      await server.close();
    }
  });

  it("after close: socket gone, the last snapshot read back from status.json as stale", async () => {
    const dir = await tempDir();
    const server = await startStatusServer(dir, () => ({ ...snapshotOf([]), xmpp: { state: "stopped", jid: "thing@example.org" } }), log);
    await server.close();
    await expect(stat(server.socketPath)).rejects.toMatchObject({ code: "ENOENT" });
    const r = await readStatus(dir, 500);
    expect(r).toMatchObject({ live: false, reason: "not-running", snapshot: { xmpp: { state: "stopped" } } });
    expect(statusExitCode(r)).toBe(1);
  });

  it("does not take over the socket of another live thingd on the same state_dir", async () => {
    const dir = await tempDir();
    const a = await startStatusServer(dir, () => ({ ...snapshotOf([]), pid: 1 }), log);
    const b = await startStatusServer(dir, () => ({ ...snapshotOf([]), pid: 2 }), log);
    try {
      expect((await readStatus(dir, 1_000)).snapshot!.pid).toBe(1);
    } finally {
      await b.close();
      expect((await readStatus(dir, 1_000)).snapshot!.pid).toBe(1); // b's close left a's socket alone
      await a.close();
    }
  });
});

describe("readStatus", () => {
  it("no socket and no file: not running, nothing known", async () => {
    const r = await readStatus(await tempDir(), 200);
    expect(r).toStrictEqual({ live: false, reason: "not-running", detail: expect.stringContaining("thingd is not running") });
  });

  it("a socket file nobody listens on reads as not running, with the last file", async () => {
    const dir = await tempDir();
    // A file at the socket path with nobody listening: what kill -9 leaves behind.
    await writeFile(path.join(dir, STATUS_SOCKET), "");
    await writeFile(path.join(dir, STATUS_FILE), JSON.stringify(snapshotOf([])));
    const r = await readStatus(dir, 200);
    expect(r.live).toBe(false);
    expect(r.snapshot?.pid).toBe(4242);
  });

  it("a daemon that accepts but never answers: no-answer within the timeout (degraded, exit 2)", async () => {
    const dir = await tempDir();
    const held: net.Socket[] = [];
    const mute = net.createServer((s) => held.push(s));
    await new Promise<void>((resolve) => mute.listen(path.join(dir, STATUS_SOCKET), resolve));
    try {
      const started = Date.now();
      const r = await readStatus(dir, 150);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(r).toMatchObject({ live: false, reason: "no-answer" });
      expect(statusExitCode(r)).toBe(2);
    } finally {
      held.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => mute.close(() => resolve()));
    }
  });
});

describe("exit codes and text", () => {
  const base = snapshotOf([]);
  const sensor = { id: "a", driver: "simulated", lastValues: [], errorCount: 0, readCount: 1 };

  it("0 live+online+healthy, 2 offline or a failing sensor, 1 not running", () => {
    expect(statusExitCode({ live: true, snapshot: base })).toBe(0);
    expect(statusExitCode({ live: true, snapshot: { ...base, xmpp: { state: "connecting", jid: "t@x" } } })).toBe(2);
    expect(statusExitCode({ live: true, snapshot: { ...base, sensors: [{ ...sensor, failing: true }] } })).toBe(2);
    expect(statusExitCode({ live: true, snapshot: { ...base, sensors: [{ ...sensor, failing: false, errorCount: 3 }] } })).toBe(0);
    expect(statusExitCode({ live: false, reason: "not-running", detail: "", snapshot: base })).toBe(1);
    expect(statusExitCode({ live: false, reason: "denied", detail: "" })).toBe(1);
  });

  it("formats XMPP, registry, process and a sensor table; stale copies say so with their age", async () => {
    const good = await poller("room");
    const bad = await poller("air", { fail: true });
    await good.poll();
    await bad.poll().catch(() => undefined);
    const s = snapshotOf([good, bad], online, new Date(good.latest!.at + 65_000));
    const text = formatStatus(s, true);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^XMPP\s+online\s+thing@example\.org\/gateway\s+since 2026-11-25T10:00:00\.000Z \(/);
    expect(lines[1]).toBe("Registry  CLAIMED  owner owner@example.org  at registry.example.org");
    expect(lines[2]).toMatch(/^Process\s+thingd 0\.1\.0, pid 4242, up .*, RSS 50\.0 MB, heap 12\.0 MB$/);
    expect(lines[4]).toMatch(/^SENSOR\s+DRIVER\s+LAST VALUES\s+AGE\s+ERRORS$/);
    expect(lines[5]).toMatch(/^room\s+simulated\s+temperature 21\.50 °C, count 3\s+1m 5s\s+0$/);
    expect(lines[6]).toMatch(/^air\s+simulated\s+-\s+never\s+1 FAILING: simulated failure$/);
    expect(text).not.toContain("STALE");

    const later = Date.parse(s.generatedAt) + 3 * 3600_000;
    expect(formatStatus(s, false, later).split("\n")[0]).toBe(`STALE: last known state, written 3h 0m ago (${s.generatedAt})`);
    await Promise.all([good, bad].map((p) => p.close()));
  });

  it("formatSeconds keeps two units", () => {
    expect([0, 59, 61, 3_599, 3_600, 7_380, 90_000].map(formatSeconds)).toStrictEqual(["0s", "59s", "1m 1s", "59m 59s", "1h 0m", "2h 3m", "1d 1h"]);
  });
});

describe("thingd status (command)", () => {
  async function setup() {
    const dir = await tempDir();
    const file = path.join(dir, "sensors.yaml");
    // password_file unreadable on purpose: status must not need the secret.
    await writeFile(
      file,
      `xmpp: { service: "xmpp://127.0.0.1:5222", jid: thing@localhost, password_file: ./nope }
state_dir: ./state
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: t, unit: "°C" }] }
`,
    );
    const stateDir = path.join(dir, "state");
    await mkdir(stateDir);
    return { file, stateDir };
  }

  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
  }

  it("exit 1 and a clear message when the daemon never ran", async () => {
    const { file, stateDir } = await setup();
    const c = capture();
    expect(await statusCommand({ config: file, timeoutMs: 200 }, c.io)).toBe(1);
    expect(c.err.join("\n")).toContain(`no status file in ${stateDir}`);
  });

  it("exit 0 live and healthy, 2 degraded, with text or JSON", async () => {
    const { file, stateDir } = await setup();
    let snapshot = snapshotOf([]);
    const server = await startStatusServer(stateDir, () => snapshot, log);
    try {
      const c = capture();
      expect(await statusCommand({ config: file }, c.io)).toBe(0);
      expect(c.out.join("\n")).toMatch(/^XMPP\s+online/);

      snapshot = { ...snapshot, xmpp: { state: "offline", jid: "thing@localhost" } };
      const j = capture();
      expect(await statusCommand({ config: file, json: true }, j.io)).toBe(2);
      expect(JSON.parse(j.out.join("\n"))).toMatchObject({ live: true, snapshot: { xmpp: { state: "offline" } } });
    } finally {
      await server.close();
    }
    // Stopped: the file written at close is shown, flagged stale, exit 1.
    const c = capture();
    expect(await statusCommand({ config: file, timeoutMs: 200 }, c.io)).toBe(1);
    expect(c.out.join("\n")).toMatch(/^STALE: last known state/);
  });

  it("exit 78 on an invalid sensor map", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "sensors.yaml");
    await writeFile(file, "xmpp: {}\n");
    const c = capture();
    expect(await statusCommand({ config: file }, c.io)).toBe(78);
    expect(c.err[0]).toMatch(/^thingd: invalid config/);
  });
});
