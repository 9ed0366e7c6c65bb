// What `thingd status` shows: a snapshot of the running daemon (XMPP session, registration,
// process, each sensor's last reading and errors). The daemon answers it on a unix socket in
// state_dir, and also keeps the last snapshot in state_dir/status.json, so that after a crash
// or a stop the operator still sees the last known state, marked stale, instead of nothing.
import net from "node:net";
import { chmod, readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import type { Field } from "../drivers/types.js";
import { formatTable } from "./commands/table.js";
import type { Poller } from "./poller.js";
import { formatDecimal } from "./protocol/xsd.js";
import { writeFileAtomic, type RegistrationStatus, type ThingState } from "./state.js";
import type { SessionState } from "./transport/supervisor.js";

export const STATUS_SOCKET = "thingd.sock";
export const STATUS_FILE = "status.json";
export const STATUS_FILE_INTERVAL_MS = 10_000;

export interface SensorStatus {
  id: string;
  driver: string;
  /** When the last successful read finished. */
  lastReadAt?: string;
  /** Seconds from lastReadAt to the snapshot. */
  ageSeconds?: number;
  lastValues: Array<{ name: string; value: string; unit?: string }>;
  errorCount: number;
  readCount: number;
  lastError?: string;
  lastErrorAt?: string;
  /** The latest attempt failed (an error newer than the last good read). */
  failing: boolean;
}

export interface StatusSnapshot {
  version: string;
  pid: number;
  startedAt: string;
  /** When this snapshot was taken: how stale a status.json copy is. */
  generatedAt: string;
  uptimeSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
  xmpp: { state: SessionState; jid: string; connectedSince?: string };
  registry: { jid?: string; status: RegistrationStatus; owner?: string };
  sensors: SensorStatus[];
}

/** What the snapshot needs of a Poller (agent/poller.ts). */
export type PollerView = Pick<Poller, "latest" | "lastError" | "errorCount" | "readCount" | "options">;

/** What the snapshot needs of the Supervisor (agent/transport/supervisor.ts). */
export interface SupervisorView {
  state: SessionState;
  connectedSince: Date | undefined;
  current?: { entity: { jid: { toString(): string } | null } } | undefined;
}

export interface StatusInputs {
  pollers: readonly PollerView[];
  supervisor: SupervisorView;
  /** Only these fields: the claim KEY must never reach a socket or a file others may read. */
  state: Pick<ThingState, "status" | "registry" | "owner">;
  /** The configured bare JID, shown while there is no session (and so no full JID). */
  jid: string;
  /** The configured registry, shown before the state names one. */
  registryJid?: string | undefined;
  startedAt: Date;
  version: string;
  memoryUsage: Pick<NodeJS.MemoryUsage, "rss" | "heapUsed">;
  pid: number;
  now: Date;
}

/** Pure: everything it reads comes in `inputs`. */
export function buildStatusSnapshot(inputs: StatusInputs): StatusSnapshot {
  const { supervisor, state, now } = inputs;
  const online = supervisor.state === "online";
  const fullJid = online ? supervisor.current?.entity.jid?.toString() : undefined;
  const registry = state.registry ?? inputs.registryJid;
  return {
    version: inputs.version,
    pid: inputs.pid,
    startedAt: inputs.startedAt.toISOString(),
    generatedAt: now.toISOString(),
    uptimeSeconds: Math.max(0, Math.round((now.getTime() - inputs.startedAt.getTime()) / 1000)),
    rssBytes: inputs.memoryUsage.rss,
    heapUsedBytes: inputs.memoryUsage.heapUsed,
    xmpp: {
      state: supervisor.state,
      jid: fullJid || inputs.jid,
      ...(online && supervisor.connectedSince ? { connectedSince: supervisor.connectedSince.toISOString() } : {}),
    },
    registry: { ...(registry ? { jid: registry } : {}), status: state.status, ...(state.owner ? { owner: state.owner } : {}) },
    sensors: inputs.pollers.map((p) => sensorStatus(p, now.getTime())),
  };
}

function sensorStatus(p: PollerView, now: number): SensorStatus {
  const { latest, lastError } = p;
  return {
    id: p.options.id,
    driver: p.options.driver,
    ...(latest ? { lastReadAt: new Date(latest.at).toISOString(), ageSeconds: Math.max(0, Math.round((now - latest.at) / 1000)) } : {}),
    lastValues: latest ? latest.fields.map(fieldValue) : [],
    errorCount: p.errorCount,
    readCount: p.readCount,
    ...(lastError ? { lastError: lastError.error.message, lastErrorAt: new Date(lastError.at).toISOString() } : {}),
    // Same rule as Poller.fresh(): a failure after the last good read means "failing now".
    failing: lastError !== undefined && lastError.at > (latest?.at ?? -Infinity),
  };
}

function fieldValue(f: Field): { name: string; value: string; unit?: string } {
  if (f.type === "numeric") return { name: f.name, value: formatDecimal(f.value, f.decimals), ...(f.unit ? { unit: f.unit } : {}) };
  return { name: f.name, value: String(f.value) };
}

export interface StatusServer {
  socketPath: string;
  /** Stop answering, remove the socket, write status.json a last time. */
  close(): Promise<void>;
}

export interface StatusServerOptions {
  /** How often status.json is rewritten; tests shorten it. */
  fileIntervalMs?: number;
}

/**
 * Answer `<stateDir>/thingd.sock` with one JSON line per connection, and keep
 * `<stateDir>/status.json` current. Never fails the daemon: without a socket (path too
 * long, another thingd on the same state_dir) it logs and keeps writing the file.
 */
export async function startStatusServer(
  stateDir: string,
  getSnapshot: () => StatusSnapshot,
  log: Logger,
  options: StatusServerOptions = {},
): Promise<StatusServer> {
  const socketPath = path.join(stateDir, STATUS_SOCKET);
  const clients = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    clients.add(socket);
    socket.on("close", () => clients.delete(socket));
    socket.on("error", (err) => log.debug({ err }, "status client error")); // client gone early: harmless
    let line: string;
    try {
      line = `${JSON.stringify(getSnapshot())}\n`;
    } catch (err) {
      log.error({ err }, "cannot build the status snapshot");
      socket.destroy();
      return;
    }
    socket.end(line);
  });
  server.on("error", (err) => log.warn({ err, socket: socketPath }, "status socket error"));
  const listening = await listenUnix(server, socketPath, log);

  const writeFile = fileWriter(path.join(stateDir, STATUS_FILE), getSnapshot, log);
  await writeFile(); // at once: a crash in the first seconds still leaves a trace
  const timer = setInterval(() => void writeFile(), options.fileIntervalMs ?? STATUS_FILE_INTERVAL_MS);
  timer.unref();

  return {
    socketPath,
    async close() {
      clearInterval(timer);
      if (listening) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of clients) socket.destroy(); // a client that never reads must not hold the stop
        await closed;
        await rm(socketPath, { force: true }).catch(() => undefined);
      }
      await writeFile();
    },
  };
}

async function listenUnix(server: net.Server, socketPath: string, log: Logger): Promise<boolean> {
  try {
    // A socket file left by kill -9 or a power cut refuses connections and blocks listen()
    // (EADDRINUSE); remove it. One that answers belongs to another live thingd: leave it.
    if (await answers(socketPath)) {
      log.error({ socket: socketPath }, "another thingd answers on this state_dir's status socket; not taking it over");
      return false;
    }
    await rm(socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => {
        server.off("error", reject);
        resolve();
      });
    });
    // Owner and group (e.g. an operator in the thingd group), whatever the umask made it.
    await chmod(socketPath, 0o660);
    return true;
  } catch (err) {
    log.warn({ err, socket: socketPath }, "status socket unavailable; `thingd status` will show status.json only");
    return false;
  }
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    probe.setTimeout(500, () => (probe.destroy(), resolve(false)));
    probe.once("connect", () => (probe.destroy(), resolve(true)));
    probe.once("error", () => resolve(false));
  });
}

/** Serialised atomic writes (writeFileAtomic's temp name is per process: no two at once). */
function fileWriter(file: string, getSnapshot: () => StatusSnapshot, log: Logger): () => Promise<void> {
  let queue = Promise.resolve();
  let failing = false;
  const writeOnce = async () => {
    try {
      await writeFileAtomic(file, `${JSON.stringify(getSnapshot(), null, 2)}\n`);
      await chmod(file, 0o640); // not secret (no KEY); readable like the socket
      failing = false;
    } catch (err) {
      if (!failing) log.warn({ err, file }, "cannot write the status file"); // once per outage, not every 10 s
      failing = true;
    }
  };
  return () => (queue = queue.then(writeOnce));
}

export type StatusResult =
  | { live: true; snapshot: StatusSnapshot }
  | {
      live: false;
      /** not-running: no socket or nobody listening; no-answer: connected, no reply in time; denied: no permission. */
      reason: "not-running" | "no-answer" | "denied" | "error";
      detail: string;
      /** The last status.json, if any. */
      snapshot?: StatusSnapshot;
    };

/** Ask the daemon (socket, within `timeoutMs`), else fall back to the last status.json. */
export async function readStatus(stateDir: string, timeoutMs = 2_000): Promise<StatusResult> {
  const socketPath = path.join(stateDir, STATUS_SOCKET);
  const asked = await askSocket(socketPath, timeoutMs);
  if ("snapshot" in asked) return { live: true, snapshot: asked.snapshot };
  const snapshot = await readStatusFile(path.join(stateDir, STATUS_FILE));
  return { live: false, reason: asked.reason, detail: asked.detail, ...(snapshot ? { snapshot } : {}) };
}

type Asked = { snapshot: StatusSnapshot } | { reason: Exclude<StatusResult, { live: true }>["reason"]; detail: string };

function askSocket(socketPath: string, timeoutMs: number): Promise<Asked> {
  return new Promise((resolve) => {
    let data = "";
    let done = false;
    const finish = (a: Asked) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(a);
    };
    const timer = setTimeout(
      () => finish({ reason: "no-answer", detail: `thingd did not answer on ${socketPath} within ${timeoutMs} ms` }),
      timeoutMs,
    );
    const socket = net.connect(socketPath);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      data += chunk;
      if (data.includes("\n")) finish(parseAnswer(data.slice(0, data.indexOf("\n")), socketPath));
    });
    socket.on("end", () => finish(data ? parseAnswer(data, socketPath) : { reason: "error", detail: `${socketPath}: closed without an answer` }));
    socket.on("error", (err: NodeJS.ErrnoException) => finish(socketFailure(socketPath, err)));
  });
}

function parseAnswer(line: string, socketPath: string): Asked {
  try {
    const v = JSON.parse(line) as unknown;
    if (isSnapshot(v)) return { snapshot: v };
  } catch {
    /* reported below */
  }
  return { reason: "error", detail: `${socketPath}: not a thingd status answer` };
}

function socketFailure(socketPath: string, err: NodeJS.ErrnoException): Asked {
  switch (err.code) {
    case "ENOENT":
      return { reason: "not-running", detail: `thingd is not running (no ${socketPath})` };
    case "ECONNREFUSED":
      return { reason: "not-running", detail: `thingd is not running (${socketPath} is left from an earlier run)` };
    case "EACCES":
    case "EPERM":
      return { reason: "denied", detail: `permission denied on ${socketPath}: run as root or as the thingd user (sudo thingd status)` };
    default:
      return { reason: "error", detail: `${socketPath}: ${err.message}` };
  }
}

async function readStatusFile(file: string): Promise<StatusSnapshot | undefined> {
  try {
    const v = JSON.parse(await readFile(file, "utf8")) as unknown;
    return isSnapshot(v) ? v : undefined;
  } catch {
    return undefined; // absent, unreadable or torn: there is simply no last known state
  }
}

function isSnapshot(v: unknown): v is StatusSnapshot {
  const s = v as Partial<StatusSnapshot> | null;
  return typeof s === "object" && s !== null && typeof s.generatedAt === "string" && typeof s.xmpp === "object" && Array.isArray(s.sensors);
}

/** True when XMPP is online and no sensor is failing. */
export function isHealthy(snapshot: StatusSnapshot): boolean {
  return snapshot.xmpp.state === "online" && !snapshot.sensors.some((s) => s.failing);
}

/**
 * The at-a-glance text: XMPP, registry and process lines, then one row per sensor. A stale
 * snapshot (from status.json) says so first, with its age; its own ages are as of then.
 */
export function formatStatus(snapshot: StatusSnapshot, live: boolean, now = Date.now()): string {
  const at = Date.parse(snapshot.generatedAt);
  const lines: string[] = [];
  if (!live) {
    const age = Math.max(0, Math.round((now - at) / 1000));
    lines.push(`STALE: last known state, written ${formatSeconds(age)} ago (${snapshot.generatedAt})`);
  }
  const { xmpp, registry } = snapshot;
  const since = xmpp.connectedSince
    ? `  since ${xmpp.connectedSince} (${formatSeconds(Math.round((at - Date.parse(xmpp.connectedSince)) / 1000))})`
    : "";
  lines.push(`XMPP      ${xmpp.state}  ${xmpp.jid}${since}`);
  const owner = registry.owner ? `  owner ${registry.owner}` : "";
  lines.push(`Registry  ${registry.status}${owner}${registry.jid ? `  at ${registry.jid}` : ""}`);
  lines.push(
    `Process   thingd ${snapshot.version}, pid ${snapshot.pid}, up ${formatSeconds(snapshot.uptimeSeconds)}, ` +
      `RSS ${mb(snapshot.rssBytes)}, heap ${mb(snapshot.heapUsedBytes)}`,
  );
  lines.push("");
  const rows = [["SENSOR", "DRIVER", "LAST VALUES", "AGE", "ERRORS"]];
  for (const s of snapshot.sensors) {
    const values = s.lastValues.map((v) => `${v.name} ${v.value}${v.unit ? ` ${v.unit}` : ""}`).join(", ");
    const errors = s.failing ? `${s.errorCount} FAILING: ${s.lastError ?? "?"}` : String(s.errorCount);
    rows.push([s.id, s.driver, values || "-", s.ageSeconds === undefined ? "never" : formatSeconds(s.ageSeconds), errors]);
  }
  lines.push(formatTable(rows));
  return lines.join("\n");
}

/** 42s, 5m 3s, 2h 5m, 3d 4h: two units at most, enough to judge at a glance. */
export function formatSeconds(total: number): string {
  const s = Math.max(0, Math.round(total));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
