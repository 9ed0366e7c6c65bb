// A child process that logs JSON lines (pino) on stdout: the lines collected as they come, a
// wait for the first line matching a predicate, and a stop that waits for the exit. Used for
// thingd and thingd-registry in tests and benchmarks.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export interface JsonLoggedChild {
  child: ChildProcess;
  lines: LogLine[];
  stderr: string[];
  waitForLog(predicate: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Send a signal (unless it has exited) and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Spawns `cmd argv` with stdout piped; `label` names it in timeout errors. */
export function spawnJsonLogged(cmd: string, argv: string[], label: string, options: Omit<SpawnOptions, "stdio"> = {}): JsonLoggedChild {
  const child = spawn(cmd, argv, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  let buf = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        lines.push({ level: 30, msg: line });
      }
      waiters.forEach((w) => w());
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (c: string) => stderr.push(c));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    lines,
    stderr,
    exited,
    waitForLog(predicate, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const found = lines.find(predicate);
        if (found) return resolve(found);
        const t = setTimeout(() => {
          waiters.delete(check);
          const tail = lines
            .slice(-15)
            .map((l) => JSON.stringify(l))
            .join("\n");
          reject(new Error(`${label}: no matching log line within ${timeoutMs} ms; last lines:\n${tail}\n${stderr.join("")}`));
        }, timeoutMs);
        const check = () => {
          const l = lines.find(predicate);
          if (!l) return;
          clearTimeout(t);
          waiters.delete(check);
          resolve(l);
        };
        waiters.add(check);
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
