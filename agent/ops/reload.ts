// SIGHUP: re-read the sensor map. An invalid file is logged with every problem and the last
// good config stays in force. Sensor and access changes apply at once without touching the
// XMPP session; changes to the connection itself need a restart and are reported as such.
import type { Logger } from "pino";
import { ConfigError } from "../errors.js";
import { loadConfig } from "../config/load.js";
import type { ThingConfig } from "../config/types.js";
import type { SensorSet } from "../sensors/sensor-set.js";

export interface Reloadable {
  updateAccess(access: ThingConfig["access"]): void;
  /** Alerts and event subscription limits (optional: older embedders may not have them). */
  updatePeople?(config: Pick<ThingConfig, "subscriptions" | "alerts">): void;
}

/** Sections that cannot change under a live session. */
export function restartOnlyChanges(current: ThingConfig, next: ThingConfig): string[] {
  const changed: string[] = [];
  if (JSON.stringify(current.xmpp) !== JSON.stringify(next.xmpp)) changed.push("xmpp");
  if (JSON.stringify(current.registry) !== JSON.stringify(next.registry)) changed.push("registry");
  if (current.stateDir !== next.stateDir) changed.push("state_dir");
  if (JSON.stringify(current.limits) !== JSON.stringify(next.limits)) changed.push("limits");
  return changed;
}

export async function reloadConfig(current: ThingConfig, sensors: SensorSet, thing: Reloadable, log: Logger): Promise<ThingConfig> {
  let next: ThingConfig;
  try {
    next = await loadConfig(current.file);
  } catch (err) {
    if (err instanceof ConfigError) {
      log.error(
        { file: current.file, problems: err.problems.map((p) => `${p.line ?? "?"}:${p.column ?? "?"} ${p.path}: ${p.message}`) },
        "reload refused: invalid sensor map; the last good config stays in force",
      );
      return current;
    }
    throw err;
  }
  const ignored = restartOnlyChanges(current, next);
  if (ignored.length > 0) log.warn({ sections: ignored }, "these sections changed and need a restart (systemctl restart thingd) to apply");
  const result = await sensors.apply(next.sensors);
  thing.updateAccess(next.access);
  thing.updatePeople?.(next);
  log.info({ ...result, alerts: next.alerts?.length ?? 0 }, "reloaded");
  const out: ThingConfig = { ...current, sensors: next.sensors, access: next.access };
  delete out.alerts;
  delete out.subscriptions;
  if (next.alerts) out.alerts = next.alerts;
  if (next.subscriptions) out.subscriptions = next.subscriptions;
  return out;
}
