// `thingd status [-c FILE] [--json]`: what the running daemon is doing, asked over its unix
// socket in state_dir; when it does not answer, the last state it wrote (status.json), marked
// stale. Exit codes, so scripts and monitoring can use it as a health check:
//   0   the daemon answered, XMPP is online and no sensor is failing
//   1   the daemon is not running (no socket, or nobody listening on it), or the socket
//       can't be reached (permission denied); the last known state is printed if there is one
//   2   the daemon runs but is degraded: XMPP not online, a sensor's latest read failed, or
//       it accepted the connection but did not answer in time (event loop stuck)
//   78  the sensor map is invalid (state_dir comes from it)
import { printConfigError, type Io } from "./io.js";
import { loadConfig } from "../config/load.js";
import { ConfigError, EXIT_CONFIG, EXIT_FAILURE, EXIT_OK } from "../errors.js";
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
  let stateDir: string;
  try {
    // Only state_dir is needed: a placeholder password keeps an operator who can't read the
    // daemon's password_file (0600, thingd's) from getting a config error.
    stateDir = (await loadConfig(opts.config, { ...process.env, THINGD_PASSWORD: "unused-by-status" })).stateDir;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    printConfigError(io, err);
    return EXIT_CONFIG;
  }
  const result = await readStatus(stateDir, opts.timeoutMs);
  const code = statusExitCode(result);
  if (opts.json) {
    const { snapshot, ...rest } = result;
    io.out(JSON.stringify({ ...rest, snapshot: snapshot ?? null }, null, 2));
    return code;
  }
  if (!result.live) {
    io.err(`thingd: ${result.detail}`);
    if (!result.snapshot) {
      io.err(`thingd: no status file in ${stateDir} either (has thingd run with this state_dir?)`);
      return code;
    }
  }
  io.out(formatStatus(result.snapshot!, result.live));
  return code;
}
