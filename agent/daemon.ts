// `thingd run`: open sensors, start polling, keep the XMPP session, stop cleanly on
// SIGTERM/SIGINT (unavailable presence, stream closed, exit 0).
import type { Logger } from "pino";
import { createBusFactory } from "../drivers/bus/index.js";
import type { ThingConfig } from "./config/types.js";
import { EXIT_FAILURE, EXIT_OK } from "./errors.js";
import { readFile } from "node:fs/promises";
import { scheduleAll } from "./scheduler.js";
import { openSensors } from "./sensors.js";
import { StateStore } from "./state.js";
import { Thing } from "./thing.js";
import { VERSION } from "./version.js";

export async function runDaemon(config: ThingConfig, log: Logger): Promise<number> {
  // Install handlers first: Node's default for SIGHUP is to exit (prior-art.md §D).
  let stopRequested: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (stopRequested = resolve));
  const onSignal = (signal: NodeJS.Signals) => stopRequested(signal);
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("SIGHUP", () => log.warn("SIGHUP: reload is not supported yet; restart the service to apply changes"));

  log.info({ version: VERSION, config: config.file, jid: config.xmpp.jid, sensors: config.sensors.length }, "starting");
  let ca: string | undefined;
  try {
    ca = await readCa(config, log);
  } catch {
    return EXIT_FAILURE;
  }
  const store = new StateStore(config.stateDir, log.child({ module: "state" }));
  await store.load();
  const pollers = await openSensors(config.sensors, createBusFactory(), log);
  const schedule = await scheduleAll(pollers, new Map(config.sensors.map((s) => [s.id, s.schedule])), log.child({ module: "scheduler" }));
  const thing = new Thing({ config, pollers, store, log, ...(ca ? { ca } : {}) });
  thing.start();

  const signal = await stopped;
  log.info({ signal }, "stopping");
  const force = setTimeout(() => {
    log.error("shutdown took longer than 10 s; exiting");
    process.exit(EXIT_FAILURE);
  }, 10_000);
  force.unref();
  schedule.stop();
  await thing.stop();
  await Promise.allSettled(pollers.map((p) => p.close()));
  log.info("stopped");
  return EXIT_OK;
}

async function readCa(config: ThingConfig, log: Logger): Promise<string | undefined> {
  if (!config.xmpp.tls.ca) return undefined;
  try {
    return await readFile(config.xmpp.tls.ca, "utf8");
  } catch (err) {
    log.error({ err, file: config.xmpp.tls.ca }, "cannot read xmpp.tls.ca");
    throw err;
  }
}
