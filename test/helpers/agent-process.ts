// Runs the real `thingd` CLI (built dist/agent/main.js) as a child process and collects its
// JSON log lines so tests can wait on lifecycle events.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const MAIN = fileURLToPath(new URL("../../dist/agent/main.js", import.meta.url));

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export interface AgentProcess {
  child: ChildProcess;
  lines: LogLine[];
  stderr: string[];
  waitForLog(predicate: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Send a signal and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** `wrap`: a command that execs the rest, e.g. `unshare -m …` (must keep the pid, for signals). */
export function runThingd(args: string[], env: NodeJS.ProcessEnv = {}, wrap: string[] = []): AgentProcess {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" (npm test does it)`);
  const [cmd, ...argv] = [...wrap, process.execPath, MAIN, ...args] as [string, ...string[]];
  const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
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
          reject(new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${lines.slice(-15).map((l) => JSON.stringify(l)).join("\n")}\n${stderr.join("")}`));
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
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
