// `thingd check [-c FILE]`: the sensor map is valid, the password can be read, and the state
// folder can be created and written (else the service dies at start-up, long after `check`
// said OK). Exit 0, or 78 naming what is wrong; secret files others can read are a warning.
import type { Io } from "./io.js";
import { secretFileWarnings } from "../config/secrets.js";
import { stateDirProblem } from "../config/state-dir.js";
import { EXIT_CONFIG, EXIT_OK } from "../errors.js";
import { loadForCommand } from "./load-config.js";
import { checkSummary } from "./check-summary.js";

export async function checkCommand(opts: { config: string }, io: Io): Promise<number> {
  const config = await loadForCommand(opts.config, io);
  if (typeof config === "number") return config;
  const problem = stateDirProblem(config.stateDir);
  if (problem) {
    io.err(`thingd: the state folder ${config.stateDir} cannot be used: ${problem}`);
    io.err(`thingd: set state_dir in ${config.file} to a folder this user can write (the service uses /var/lib/thingd)`);
    return EXIT_CONFIG;
  }
  for (const warning of secretFileWarnings(config)) io.err(`thingd: warning: ${warning}`);
  const n = config.sensors.length;
  io.out(`${config.file}: OK (${n} sensor${n === 1 ? "" : "s"}; state in ${config.stateDir})`);
  for (const line of checkSummary(config)) io.out(line);
  return EXIT_OK;
}
