// sd_notify against a real AF_UNIX datagram socket, with the receiving side written
// independently in Python (SO_PASSCRED) so the test also sees which PID each datagram came
// from: with NotifyAccess=main systemd only accepts the daemon's own PID.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../../agent/log.js";
import { createNotifier, sockaddrUn, watchdogInterval, type Notifier } from "../../../agent/ops/sd-notify.js";
import { createHealthMonitor, schedulerSilenceLimitMs, startWatchdog, type Health } from "../../../agent/ops/watchdog.js";
import { runThingd, type AgentProcess } from "../../helpers/agent-process.js";

const RECEIVER = `
import json, socket, struct, sys
addr = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\\0" + addr[1:] if addr.startswith("@") else addr)
print(json.dumps({"bound": True}), flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = None
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", data[:12])[0]
    print(json.dumps({"pid": pid, "msg": msg.decode()}), flush=True)
`;

interface Datagram {
  pid: number;
  msg: string;
  at: number;
}

interface Receiver {
  got: Datagram[];
  waitFor(predicate: (d: Datagram) => boolean, timeoutMs?: number): Promise<Datagram>;
  stop(): void;
}

async function startReceiver(address: string): Promise<Receiver> {
  const child: ChildProcess = spawn("python3", ["-c", RECEIVER, address], { stdio: ["ignore", "pipe", "inherit"] });
  const got: Datagram[] = [];
  const waiters = new Set<() => void>();
  let buf = "";
  const bound = new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`notify receiver exited with ${code}`)));
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = JSON.parse(buf.slice(0, i)) as { bound?: boolean; pid: number; msg: string };
        buf = buf.slice(i + 1);
        if (line.bound) resolve();
        else got.push({ pid: line.pid, msg: line.msg, at: Date.now() });
        waiters.forEach((w) => w());
      }
    });
  });
  await bound;
  return {
    got,
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = got.find(predicate);
          if (!hit) return false;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching datagram within ${timeoutMs} ms; got ${JSON.stringify(got.map((d) => d.msg))}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    stop: () => void child.kill("SIGKILL"),
  };
}

/** A loopback port nobody listens on: XMPP connects fail at once, forever. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const dirs: string[] = [];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "thingd-notify-"));
  dirs.push(dir);
  return dir;
}

async function configFile(dir: string): Promise<string> {
  const file = path.join(dir, "sensors.yaml");
  await writeFile(
    file,
    `xmpp:
  service: xmpp://127.0.0.1:${await closedPort()}
  jid: thing@localhost
  password: pw
  tls: { required: false }
state_dir: ./state
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", value: 21.5, decimals: 1 }] }
`,
  );
  return file;
}

// Never inherit the outer service manager's variables (tests may run under systemd).
const CLEAN_ENV = { NOTIFY_SOCKET: undefined, WATCHDOG_USEC: undefined, WATCHDOG_PID: undefined, JOURNAL_STREAM: undefined };

describe("thingd run under a service manager", () => {
  it("sends READY=1 without XMPP, STATUS= on XMPP state changes, WATCHDOG=1 every half WATCHDOG_USEC, STOPPING=1 on SIGTERM", async () => {
    const dir = await tempDir();
    const socket = path.join(dir, "notify.sock");
    const receiver = await startReceiver(socket);
    cleanups.push(() => receiver.stop());
    const agent: AgentProcess = runThingd(["run", "-c", await configFile(dir)], { ...CLEAN_ENV, NOTIFY_SOCKET: socket, WATCHDOG_USEC: "2000000" });
    cleanups.push(() => agent.stop("SIGKILL"));
    const pid = agent.child.pid!;

    const ready = await receiver.waitFor((d) => d.msg.startsWith("READY=1"));
    expect(ready.pid).toBe(pid);
    expect(ready.msg).toMatch(/^READY=1\nSTATUS=XMPP (connecting|offline); 1 sensor polling$/);
    // The XMPP server is unreachable, yet the service is ready and says so in its status.
    await receiver.waitFor((d) => d.msg === "STATUS=XMPP offline; 1 sensor polling");

    // One ping at once, then one per second (half of 2 s); keep four after READY.
    const readyIndex = receiver.got.indexOf(ready);
    await receiver.waitFor(() => receiver.got.slice(readyIndex).filter((d) => d.msg === "WATCHDOG=1").length >= 4, 10_000);
    const pings = receiver.got.slice(readyIndex).filter((d) => d.msg === "WATCHDOG=1");
    expect(pings.every((d) => d.pid === pid)).toBe(true);
    const gaps = pings.slice(2).map((d, i) => d.at - pings[i + 1]!.at);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThan(600);
      expect(gap).toBeLessThan(1_800);
    }
    expect(agent.lines.some((l) => l.msg === "systemd watchdog on" && l.intervalMs === 1000)).toBe(true);

    expect(await agent.stop("SIGTERM")).toBe(0);
    const stopping = await receiver.waitFor((d) => d.msg === "STOPPING=1", 2_000);
    expect(stopping.pid).toBe(pid);
    // Nothing claims readiness or liveness after STOPPING=1.
    const after = receiver.got.slice(receiver.got.indexOf(stopping) + 1);
    expect(after.filter((d) => d.msg === "WATCHDOG=1" || d.msg.startsWith("READY=1"))).toStrictEqual([]);
  });

  it("exits 1 with an explaining error line when the watchdog is on but sd_notify cannot work", async () => {
    const dir = await tempDir();
    const agent = runThingd(["run", "-c", await configFile(dir)], { ...CLEAN_ENV, NOTIFY_SOCKET: "vsock:2:999", WATCHDOG_USEC: "2000000" });
    cleanups.push(() => agent.stop("SIGKILL"));
    expect(await agent.exited).toBe(1);
    const line = agent.lines.find((l) => l.level === 50);
    expect(line?.msg).toMatch(/cannot send sd_notify messages .* exiting instead of being killed by the watchdog/);
  });

  it("sends nothing and needs no native code without NOTIFY_SOCKET", () => {
    const notifier = createNotifier(createLogger("silent"), { WATCHDOG_USEC: "2000000" });
    expect(notifier.enabled).toBe(false);
    expect(notifier.watchdogIntervalMs).toBeUndefined();
    notifier.ready("x");
    notifier.watchdog();
    notifier.close();
  });
});

describe("createNotifier in this process", () => {
  it("reaches an abstract socket (NOTIFY_SOCKET=@name) from our own PID, one line per STATUS", async () => {
    const address = `@thingd-test-${process.pid}-${Date.now()}`;
    const receiver = await startReceiver(address);
    cleanups.push(() => receiver.stop());
    const notifier = createNotifier(createLogger("silent"), { NOTIFY_SOCKET: address, WATCHDOG_USEC: "60000000", WATCHDOG_PID: String(process.pid) });
    expect(notifier.enabled).toBe(true);
    expect(notifier.watchdogIntervalMs).toBe(30_000);
    notifier.ready("starting\nup");
    notifier.status("XMPP online");
    notifier.watchdog();
    notifier.stopping();
    await receiver.waitFor((d) => d.msg === "STOPPING=1");
    notifier.close();
    expect(receiver.got.map((d) => d.msg)).toStrictEqual(["READY=1\nSTATUS=starting up", "STATUS=XMPP online", "WATCHDOG=1", "STOPPING=1"]);
    expect(receiver.got.every((d) => d.pid === process.pid)).toBe(true);
  });

  it("logs instead of throwing when a datagram cannot be delivered and no watchdog is asked for", () => {
    const lines: string[] = [];
    const log = createLogger("warn", { write: (l: string) => void lines.push(l) });
    const notifier = createNotifier(log, { NOTIFY_SOCKET: "/nonexistent/notify.sock" });
    expect(notifier.enabled).toBe(true);
    notifier.ready();
    notifier.watchdog(); // the same failure again is not logged twice
    notifier.close();
    expect(lines.map((l) => JSON.parse(l) as { msg: string; error: string })).toMatchObject([{ msg: "sd_notify message not delivered", error: "ENOENT" }]);
  });

  it("reads the watchdog interval as sd_watchdog_enabled(3) does", () => {
    expect(watchdogInterval({ WATCHDOG_USEC: "2000000" }, 42)).toBe(1000);
    expect(watchdogInterval({ WATCHDOG_USEC: "2000000", WATCHDOG_PID: "42" }, 42)).toBe(1000);
    expect(watchdogInterval({ WATCHDOG_USEC: "2000000", WATCHDOG_PID: "41" }, 42)).toBeUndefined();
    expect(watchdogInterval({ WATCHDOG_USEC: "nope" }, 42)).toBeUndefined();
    expect(watchdogInterval({}, 42)).toBeUndefined();
  });

  it("builds sockaddr_un for paths (NUL-terminated) and abstract names (leading NUL, no terminator)", () => {
    expect([...sockaddrUn("/run/n")]).toStrictEqual([1, 0, ...Buffer.from("/run/n"), 0]);
    expect([...sockaddrUn("@n1")]).toStrictEqual([1, 0, 0, ...Buffer.from("n1")]);
    expect(() => sockaddrUn("vsock:2:3")).toThrow(/absolute path/);
    expect(() => sockaddrUn(`/${"x".repeat(107)}`)).toThrow(/longer/);
  });
});

describe("watchdog", () => {
  function fakeNotifier(intervalMs: number | undefined) {
    const sent: string[] = [];
    const notifier: Notifier = {
      enabled: true,
      watchdogIntervalMs: intervalMs,
      ready: () => void sent.push("READY=1"),
      stopping: () => void sent.push("STOPPING=1"),
      watchdog: () => void sent.push("WATCHDOG=1"),
      status: (t) => void sent.push(`STATUS=${t}`),
      extendTimeout: (ms) => void sent.push(`EXTEND_TIMEOUT_USEC=${ms * 1000}`),
      close() {},
    };
    return { sent, notifier };
  }

  it("pings only while healthy and logs each change of health once", () => {
    vi.useFakeTimers();
    try {
      const { sent, notifier } = fakeNotifier(1000);
      const lines: string[] = [];
      let health: Health = { ok: true };
      const dog = startWatchdog(notifier, () => health, createLogger("info", { write: (l: string) => void lines.push(l) }));
      expect(sent).toStrictEqual(["WATCHDOG=1"]); // at once
      vi.advanceTimersByTime(2_000);
      expect(sent).toHaveLength(3);
      health = { ok: false, reason: "event loop stalled" };
      vi.advanceTimersByTime(3_000);
      expect(sent).toHaveLength(3);
      health = { ok: true };
      vi.advanceTimersByTime(1_000);
      expect(sent).toHaveLength(4);
      dog.stop();
      vi.advanceTimersByTime(5_000);
      expect(sent).toHaveLength(4);
      const msgs = lines.map((l) => JSON.parse(l) as { msg: string; reason?: string });
      expect(msgs.filter((m) => m.msg.startsWith("unhealthy"))).toMatchObject([{ reason: "event loop stalled" }]);
      expect(msgs.filter((m) => m.msg.startsWith("healthy again"))).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does nothing when systemd asked for no watchdog", () => {
    const { sent, notifier } = fakeNotifier(undefined);
    startWatchdog(notifier, () => ({ ok: true }), createLogger("silent")).stop();
    expect(sent).toStrictEqual([]);
  });

  it("health: a silent scheduler is unhealthy, counted from start-up before the first poll", () => {
    let now = 1_000_000;
    let heartbeat = 0;
    const monitor = createHealthMonitor({ schedulerHeartbeat: () => heartbeat, maxSchedulerSilenceMs: () => 60_000, now: () => now });
    try {
      now += 59_000;
      expect(monitor.check()).toStrictEqual({ ok: true });
      now += 2_000;
      expect(monitor.check()).toMatchObject({ ok: false, reason: expect.stringMatching(/no sensor poll started for 61 s/) });
      heartbeat = now - 1_000;
      expect(monitor.check()).toStrictEqual({ ok: true });
    } finally {
      monitor.stop();
    }
  });

  it("health: a stalled event loop is unhealthy for that window only", async () => {
    const monitor = createHealthMonitor({ schedulerHeartbeat: () => Date.now(), maxSchedulerSilenceMs: () => 60_000, maxEventLoopLagMs: 300 });
    try {
      await new Promise((r) => setTimeout(r, 600));
      expect(monitor.check()).toStrictEqual({ ok: true });
      const until = Date.now() + 1_000;
      while (Date.now() < until) {
        /* block the event loop */
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(monitor.check()).toMatchObject({ ok: false, reason: expect.stringMatching(/event loop stalled for \d+ ms \(limit 300 ms\)/) });
      await new Promise((r) => setTimeout(r, 600));
      expect(monitor.check()).toStrictEqual({ ok: true });
    } finally {
      monitor.stop();
    }
  });

  it("allows three periods plus timeouts of the busiest sensor, at least a minute", () => {
    expect(schedulerSilenceLimitMs([{ periodMs: 1_000, timeoutMs: 1_000 }])).toBe(60_000);
    expect(schedulerSilenceLimitMs([{ periodMs: 600_000, timeoutMs: 10_000 }, { periodMs: 60_000, timeoutMs: 10_000 }])).toBe(210_000);
    expect(schedulerSilenceLimitMs([])).toBe(Number.POSITIVE_INFINITY);
  });
});
