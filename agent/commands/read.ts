// `thingd read [-c FILE] [--json] [--outputs]`: every sensor once, locally, to check the wiring
// before going online. Needs no XMPP password. When thingd already runs on this state_dir it
// owns the ports and buses: `read` says so and points at `thingd status` instead of fighting
// it for a serial port (and switching its outputs). Exit 0 all read, 1 a sensor failed or
// thingd is running, 78 invalid sensor map.
import type { Logger } from "pino";
import type { Io } from "./io.js";
import { EXIT_FAILURE, EXIT_OK } from "../errors.js";
import { readStatus } from "../ops/status-client.js";
import { loadForCommand } from "./load-config.js";

export interface ReadOptions {
  config: string;
  json?: boolean;
  outputs?: boolean;
  log: Logger;
}

export async function readCommand(opts: ReadOptions, io: Io): Promise<number> {
  const config = await loadForCommand(opts.config, io, { needPassword: false });
  if (typeof config === "number") return config;
  const running = await readStatus(config.stateDir, 1_500);
  if (running.live) {
    io.err(`thingd: thingd is running (pid ${running.snapshot.pid}): use \`thingd status\` for its latest readings`);
    return EXIT_FAILURE;
  }
  if (running.reason === "no-answer") {
    io.err(`thingd: thingd seems to be running (${running.detail}): use \`thingd status\`, or stop it first`);
    return EXIT_FAILURE;
  }
  const { formatReadings, readAllOnce } = await import("../sensors/read-once.js");
  const { createBusFactory } = await import("../../drivers/bus/index.js");
  const readings = await readAllOnce(config, opts.log, createBusFactory(), { outputs: opts.outputs === true });
  io.out(opts.json ? JSON.stringify(readings, null, 2) : formatReadings(readings));
  return readings.every((r) => !r.error) ? EXIT_OK : EXIT_FAILURE;
}
