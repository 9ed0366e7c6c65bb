// Runs the real `thingd` CLI (built dist/agent/main.js) as a child process and collects its
// JSON log lines so tests can wait on lifecycle events.
import { existsSync } from "node:fs";
import { spawnJsonLogged, type JsonLoggedChild } from "../../scripts/lib/json-log-child.js";
import { fileURLToPath } from "node:url";

export const MAIN = fileURLToPath(new URL("../../dist/agent/main.js", import.meta.url));

export type { LogLine } from "../../scripts/lib/json-log-child.js";
export type AgentProcess = JsonLoggedChild;

/** `wrap`: a command that execs the rest, e.g. `unshare -m …` (must keep the pid, for signals). */
export function runThingd(args: string[], env: NodeJS.ProcessEnv = {}, wrap: string[] = []): AgentProcess {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" (npm test does it)`);
  const [cmd, ...argv] = [...wrap, process.execPath, MAIN, ...args] as [string, ...string[]];
  return spawnJsonLogged(cmd, argv, "thingd", { env: { ...process.env, ...env } });
}
