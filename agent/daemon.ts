// `thingd run`: open sensors, start polling, keep the XMPP session, stop cleanly on
// SIGTERM/SIGINT (unavailable presence, stream closed, exit 0). Under systemd (Type=notify):
// READY=1 once sensors poll, STATUS= with the XMPP state, WATCHDOG=1 while healthy, STOPPING=1.
import type { Logger } from "pino";
import { createBusFactory } from "../drivers/bus/index.js";
import type { ThingConfig } from "./config/types.js";
import { ConfigError, EXIT_CONFIG, EXIT_FAILURE, EXIT_OK } from "./errors.js";
import { secretFileWarnings } from "./config/secrets.js";
import { stateDirProblem } from "./config/state-dir.js";
import { provisionAccount } from "./account/provision.js";
import { readFile } from "node:fs/promises";
import { lastActivity } from "./sensors/scheduler.js";
import { reloadConfig } from "./ops/reload.js";
import { SensorSet } from "./sensors/sensor-set.js";
import { xmppStatusText } from "./ops/status.js";
import { startStatusServer } from "./ops/status-server.js";
import { createNotifier, type Notifier } from "./ops/sd-notify.js";
import { StateStore } from "./ownership/state.js";
import { Thing } from "./thing.js";
import { VERSION } from "./version.js";
import { openHistory } from "./history/open.js";
import type { Reading } from "./sensors/poller.js";
import { ClockGuard } from "./history/clock-guard.js";
import { systemClock } from "./ops/clock.js";
import { createHealthMonitor, schedulerSilenceLimitMs, startWatchdog } from "./ops/watchdog.js";

export async function runDaemon(configured: ThingConfig, log: Logger): Promise<number> {
  let config = configured;
  const startedAt = new Date();
  // Install handlers first: Node's default for SIGHUP is to exit (docs/pitfalls.md "systemd: restarts and signals").
  let stopRequested: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (stopRequested = resolve));
  const onSignal = (signal: NodeJS.Signals) => stopRequested(signal);
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  let reload: () => void = () => log.warn("SIGHUP before start-up finished; ignored");
  process.on("SIGHUP", () => reload());

  log.info({ version: VERSION, config: config.file, jid: config.xmpp.jid, sensors: config.sensors.length }, "starting");
  let notifier: Notifier;
  try {
    notifier = createNotifier(log.child({ module: "systemd" }));
  } catch {
    return EXIT_FAILURE; // already logged: the watchdog is on but cannot be fed
  }
  let ca: string | undefined;
  try {
    ca = await readCa(config, log);
  } catch {
    return EXIT_FAILURE;
  }
  for (const warning of secretFileWarnings(config)) log.warn(warning);
  if (config.xmpp.register) {
    const abort = new AbortController();
    // A stop while waiting to retry the registration ends the wait.
    stopped.then(() => abort.abort(), () => {});
    try {
      config = await provisionAccount(config, log.child({ module: "account" }), {
        ...(ca !== undefined && { ca }),
        signal: abort.signal,
        onWait: (ms) => {
          notifier.status(`registering the account ${config.xmpp.jid}: next attempt in ${Math.round(ms / 1000)} s`);
          notifier.extendTimeout(ms + 30_000);
        },
      });
    } catch (err) {
      if (err instanceof ConfigError) {
        log.error({ jid: config.xmpp.jid }, err.message);
        return EXIT_CONFIG;
      }
      if (abort.signal.aborted) return EXIT_OK; // stopped while waiting to retry
      throw err;
    }
  }
  const store = new StateStore(config.stateDir, log.child({ module: "state" }));
  try {
    await store.load();
  } catch (err) {
    // 78: a restart cannot fix a state folder it may not write (systemd stops retrying).
    const why = stateDirProblem(config.stateDir) ?? (err as Error).message;
    log.fatal({ dir: config.stateDir, err }, `cannot keep the Thing's state in ${config.stateDir}: ${why}; set state_dir in ${config.file} (thingd check tests it)`);
    return EXIT_CONFIG;
  }
  const history = openHistory(config, log.child({ module: "history" }));
  // Readings wait for the clock's sync before they reach the history (a Pi has no RTC).
  const clock = systemClock();
  const guard = history && new ClockGuard({ clock, sink: (nodeId, fields) => history.append(nodeId, fields), log: log.child({ module: "history" }) });
  const clockTimer = guard && setInterval(() => guard.poll(), 10_000).unref();
  // Every good reading: the history store (through the clock guard), then event pushes and
  // alerts (once the Thing exists).
  let toPeople: ((nodeId: string, reading: Reading) => void) | undefined;
  const sensors = new SensorSet(createBusFactory(), log, (nodeId, reading) => {
    guard?.append(nodeId, reading.fields);
    toPeople?.(nodeId, reading);
  });
  await sensors.apply(config.sensors);
  const historySource = history && { store: history, maxFieldsPerRequest: config.history?.maxFieldsPerRequest ?? 5000 };
  const statusExtras = () => ({ clock: { state: clock.syncState(), ...(guard?.held ? { heldReadings: guard.held } : {}) } });
  const thing: Thing = new Thing({ config, pollers: () => sensors.pollers, store, log, statusExtras, startedAt, ...(ca ? { ca } : {}), ...(historySource && { history: historySource }) });
  const snapshot = () => thing.statusSnapshot();
  toPeople = (nodeId, reading) => thing.onReading(nodeId, reading);
  const count = () => sensors.pollers.length;
  const xmppStatus = () => `${xmppStatusText(thing.supervisor.state, thing.supervisor.problem)}; ${count()} sensor${count() === 1 ? "" : "s"} polling`;
  let lastStatus = "";
  const updateStatus = () => {
    const text = xmppStatus();
    if (text !== lastStatus) notifier.status((lastStatus = text));
  };
  thing.supervisor.on("state", updateStatus);
  thing.supervisor.on("problem", updateStatus);
  thing.start();
  const status = await startStatusServer(config.stateDir, snapshot, log.child({ module: "status" }));
  // Ready once sensors are open and polling, not when XMPP is online: a server outage must not
  // fail start-up (the supervisor keeps reconnecting and STATUS= shows it).
  notifier.ready(xmppStatus());
  const health = createHealthMonitor({ schedulerHeartbeat: lastActivity, maxSchedulerSilenceMs: () => schedulerSilenceLimitMs(current.sensors) });
  const watchdog = startWatchdog(notifier, health.check, log.child({ module: "watchdog" }));

  // SIGHUP: re-read the sensor map; reloads run one at a time.
  let current = config;
  let reloading = Promise.resolve();
  reload = () => {
    reloading = reloading
      .then(async () => {
        log.info({ file: current.file }, "SIGHUP: reloading the sensor map");
        current = await reloadConfig(current, sensors, thing, log.child({ module: "reload" }));
        notifier.status(xmppStatus());
      })
      .catch((err: unknown) => log.error({ err }, "reload failed"));
  };

  const signal = await stopped;
  reload = () => log.warn("SIGHUP during shutdown; ignored");
  await reloading;
  notifier.stopping();
  watchdog.stop();
  health.stop();
  log.info({ signal }, "stopping");
  const force = setTimeout(() => {
    log.error("shutdown took longer than 10 s; exiting");
    process.exit(EXIT_FAILURE);
  }, 10_000);
  force.unref();
  await thing.stop();
  await sensors.close();
  if (clockTimer) clearInterval(clockTimer);
  if (guard?.held) log.warn({ readings: guard.held }, "the clock never synchronised: readings of this run are not kept in history");
  history?.close(); // writes the last batch
  await status.close();
  log.info("stopped");
  notifier.close();
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
