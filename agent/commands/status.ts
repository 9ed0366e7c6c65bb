// `thingd status [-c FILE] [--json]`: what the running daemon is doing, asked over its unix
// socket in state_dir; when it does not answer, the last state it wrote (status.json), marked
// stale. Exit codes, so scripts and monitoring can use it as a health check:
//   0   the daemon answered, XMPP is online and no sensor is failing
//   1   the daemon is not running (no socket, or nobody listening on it), or the socket or
//       the sensor map can't be read (permission denied: sudo, or join the thingd group); the
//       last known state is printed if there is one
//   2   the daemon runs but is degraded: XMPP not online, a sensor's latest read failed, or
//       it accepted the connection but did not answer in time (event loop stuck)
//   78  the sensor map is invalid (state_dir comes from it)
import type { Io } from "./io.js";
import { EXIT_FAILURE, EXIT_OK } from "../errors.js";
import { loadForCommand } from "./load-config.js";
import { isHealthy } from "../ops/status.js";
import { readStatus, type StatusResult } from "../ops/status-client.js";
import { formatStatus } from "../ops/status-format.js";

export const EXIT_DEGRADED = 2;

export interface StatusOptions {
  config: string;
  json?: boolean;
  /** How long to wait for the daemon's answer. */
  timeoutMs?: number;
}

export function statusExitCode(result: StatusResult): number {
  if (result.live) return isHealthy(result.snapshot) ? EXIT_OK : EXIT_DEGRADED;
  return result.reason === "no-answer" ? EXIT_DEGRADED : EXIT_FAILURE;
}

export async function statusCommand(opts: StatusOptions, io: Io): Promise<number> {
  // No password needed: an operator in the thingd group may not read the password file.
  const config = await loadForCommand(opts.config, io, { needPassword: false });
  if (typeof config === "number") return config;
  const stateDir = config.stateDir;
  const result = await readStatus(stateDir, opts.timeoutMs);
  const code = statusExitCode(result);
  if (opts.json) {
    const { snapshot, ...rest } = result;
    io.out(JSON.stringify({ ...rest, snapshot: snapshot ?? null }, null, 2));
    return code;
  }
  if (!result.live) {
    io.err(`thingd: ${result.detail}`);
    if (!result.snapshot && result.reason === "denied") return code;
    if (!result.snapshot) {
      io.err(`thingd: no status file in ${stateDir} either (has thingd run with this state_dir?)`);
      return code;
    }
  }
  io.out(formatStatus(result.snapshot!, result.live));
  return code;
}
