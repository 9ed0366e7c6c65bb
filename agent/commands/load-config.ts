// Loading the sensor map for a command, with the messages a person at a terminal needs:
// every problem as file:line:col path: message (exit 78), or, when the file itself cannot be
// read for lack of permission (a normal user and the root:thingd 0640 map), what to do (exit 1).
import { printConfigError, type Io } from "./io.js";
import { loadConfig, type LoadOptions } from "../config/load.js";
import type { ThingConfig } from "../config/types.js";
import { ConfigError, EXIT_CONFIG, EXIT_FAILURE } from "../errors.js";

import { GROUP_HINT } from "../ops/permission-hint.js";

/** The config, or the exit code after the problems were printed. */
export async function loadForCommand(
  file: string,
  io: Io,
  options: LoadOptions = {},
  env: Record<string, string | undefined> = process.env,
): Promise<ThingConfig | number> {
  try {
    return await loadConfig(file, env, options);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const code = (err.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === "EACCES" || code === "EPERM") {
      io.err(`thingd: permission denied reading ${err.problems[0]?.file ?? file}: ${GROUP_HINT}`);
      return EXIT_FAILURE;
    }
    printConfigError(io, err);
    return EXIT_CONFIG;
  }
}
