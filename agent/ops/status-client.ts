// `thingd status`'s side: ask the daemon's socket, else fall back to the status.json it wrote.
import net from "node:net";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { GROUP_HINT } from "./permission-hint.js";
import { STATUS_FILE, STATUS_SOCKET, type StatusSnapshot } from "./status.js";

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
      return { reason: "denied", detail: `permission denied reading ${socketPath}: ${GROUP_HINT}` };
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
