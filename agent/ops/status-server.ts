// The daemon's side of `thingd status`: answers on a unix socket in state_dir, and keeps the
// last snapshot in state_dir/status.json so that after a crash or a stop the operator still
// sees the last known state, marked stale, instead of nothing.
import net from "node:net";
import { chmod, rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { writeFileAtomic } from "../ownership/state.js";
import { STATUS_FILE, STATUS_FILE_INTERVAL_MS, STATUS_SOCKET, type StatusSnapshot } from "./status.js";

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
  // writeOnce logs its own failures; the catch only keeps the lint (and a future change) honest.
  const timer = setInterval(() => void writeFile().catch(() => undefined), options.fileIntervalMs ?? STATUS_FILE_INTERVAL_MS);
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
      // 0640: not secret (no KEY); readable like the socket.
      await writeFileAtomic(file, `${JSON.stringify(getSnapshot(), null, 2)}\n`, 0o640);
      failing = false;
    } catch (err) {
      if (!failing) log.warn({ err, file }, "cannot write the status file"); // once per outage, not every 10 s
      failing = true;
    }
  };
  return () => (queue = queue.then(writeOnce));
}
