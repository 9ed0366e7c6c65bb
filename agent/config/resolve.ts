// Pass 5 of loading the sensor map (./load.ts): the validated map becomes a ThingConfig —
// durations and sizes in numbers, paths absolute, defaults filled in, schedules with periods.
import path from "node:path";
import { createTask } from "node-cron";
import { parseDuration } from "./duration.js";
import { parseSize } from "./size.js";
import type { SensorEntry, SensorMap } from "./schema.js";
import type { AlertCondition, AlertConfig, HistoryConfig, MetaValue, ReconnectConfig, ResolvedPassword, Schedule, SensorConfig, ThingConfig } from "./types.js";
import { expandPlaceholders, type BoardFacts } from "./placeholders.js";

/** The longest default per-read timeout: a hung serial port shouldn't hold a slot for a whole hourly period. */
const MAX_DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Nominal period of a cron schedule: the gap between its next two runs, from node-cron's own
 * matcher (so it agrees with the scheduler). Irregular schedules (e.g. weekdays only) give the
 * gap at load time; that's fine for its one use, judging cache freshness.
 */
export function cronPeriodMs(expression: string): number {
  let task: ReturnType<typeof createTask>;
  try {
    // An unstarted task arms no timer; destroy() takes it out of node-cron's task registry.
    task = createTask(expression, () => {});
  } catch {
    return 60_000; // node-cron's validate() and createTask() parse apart; don't fail on a disagreement
  }
  try {
    const [a, b] = task.getNextRuns(2);
    return a && b ? b.getTime() - a.getTime() : 60_000;
  } finally {
    void Promise.resolve(task.destroy()).catch(() => undefined); // an unstarted task has nothing to fail
  }
}

function schedule(entry: SensorEntry): { schedule: Schedule; periodMs: number } {
  if (entry.every !== undefined) {
    const ms = parseDuration(entry.every)!; // checked by the schema
    return { schedule: { kind: "every", ms }, periodMs: ms };
  }
  const expression = entry.cron!; // the schema demands exactly one of every/cron
  return { schedule: { kind: "cron", expression }, periodMs: cronPeriodMs(expression) };
}

export function resolve(
  map: SensorMap,
  ctx: { file: string; folder: string; options: Map<number, unknown>; ca: string | undefined; password: ResolvedPassword; stateDir: string; facts?: BoardFacts | undefined },
): ThingConfig {
  const facts = ctx.facts;
  const expand = (text: string) => (facts ? expandPlaceholders(text, facts) : text);
  const xmpp = { ...map.xmpp, jid: expand(map.xmpp.jid), resource: expand(map.xmpp.resource) };
  const meta: Record<string, MetaValue> = Object.fromEntries(
    Object.entries(map.registry?.meta ?? {}).map(([k, v]) => [k, typeof v === "string" ? expand(v) : v]),
  );
  const sensors = map.sensors.map((entry, i): SensorConfig => {
    const { schedule: sched, periodMs } = schedule(entry);
    const timeoutMs = entry.timeout !== undefined ? parseDuration(entry.timeout)! : Math.min(periodMs, MAX_DEFAULT_TIMEOUT_MS);
    return { id: entry.id, driver: entry.driver, schedule: sched, timeoutMs, periodMs, options: ctx.options.get(i) };
  });
  const domain = xmpp.domain ?? xmpp.jid.slice(xmpp.jid.indexOf("@") + 1);
  const services = xmpp.service === undefined ? [] : typeof xmpp.service === "string" ? [xmpp.service] : [...xmpp.service];
  return {
    file: ctx.file,
    xmpp: {
      service: services[0] ?? `xmpp://${domain}:5222`,
      services,
      domain,
      jid: xmpp.jid,
      password: ctx.password.value,
      passwordSource: ctx.password.source,
      ...(ctx.password.file !== undefined && { passwordFile: ctx.password.file }),
      resource: xmpp.resource,
      tls: { ...(ctx.ca !== undefined && { ca: ctx.ca }), required: xmpp.tls.required },
      keepaliveSeconds: parseDuration(xmpp.keepalive)! / 1000,
      ...(xmpp.reconnect && { reconnect: reconnectPolicy(xmpp.reconnect) }),
      ...(!xmpp.stream_management && { streamManagement: false }),
      ...(xmpp.register && { register: { ...(xmpp.invite !== undefined && { invite: xmpp.invite }) } }),
    },
    registry: { ...(map.registry?.jid !== undefined && { jid: map.registry.jid }), meta },
    access: { ...(map.access?.owner !== undefined && { owner: map.access.owner }), readers: map.access?.readers ?? [], controllers: map.access?.controllers ?? [] },
    ...(map.provisioning && {
      provisioning: { jid: map.provisioning.jid, cacheMs: parseDuration(map.provisioning.cache)!, timeoutMs: parseDuration(map.provisioning.timeout)! },
    }),
    stateDir: ctx.stateDir,
    sensors,
    // Without a `limits` section the Thing uses DEFAULT_LIMITS (agent/access/gate.ts).
    ...(map.limits && {
      limits: { requestsPerSecond: map.limits.requests_per_second, burst: map.limits.burst, ownerFactor: map.limits.owner_factor },
    }),
    history: resolveHistory(map, ctx.folder, ctx.stateDir),
    ...(map.subscriptions && { subscriptions: { perJid: map.subscriptions.per_jid, total: map.subscriptions.total } }),
    ...(map.alerts && { alerts: map.alerts.map(resolveAlert) }),
  };
}

function resolveAlert(a: NonNullable<SensorMap["alerts"]>[number]): AlertConfig {
  const where = `${a.sensor}${a.field !== undefined ? ` ${a.field}` : ""}`;
  let condition: AlertCondition;
  let name: string;
  if (a.above !== undefined) {
    condition = { kind: "above", value: a.above, clear: a.clear_below ?? a.above };
    name = `${where} above ${a.above}`;
  } else if (a.below !== undefined) {
    condition = { kind: "below", value: a.below, clear: a.clear_above ?? a.below };
    name = `${where} below ${a.below}`;
  } else if (a.stale !== undefined) {
    condition = { kind: "stale", ms: parseDuration(a.stale)! };
    name = `${where} stale for ${a.stale}`;
  } else {
    condition = { kind: "failing" };
    name = `${where} failing`;
  }
  return {
    name,
    sensor: a.sensor,
    ...(a.field !== undefined && { field: a.field }),
    condition,
    to: a.to,
    ...(a.repeat !== undefined && { repeatMs: parseDuration(a.repeat)! }),
  };
}

function resolveHistory(map: SensorMap, folder: string, stateDir: string): HistoryConfig {
  const h = map.history;
  return {
    enabled: h?.enabled ?? true,
    dir: h?.path !== undefined ? path.resolve(folder, h.path) : path.join(stateDir, "history"),
    keepMs: parseDuration(h?.keep ?? "30d")!,
    maxBytes: parseSize(h?.max_size ?? "64MB")!,
    flushMs: parseDuration(h?.flush ?? "30s")!,
    maxFieldsPerRequest: h?.max_fields_per_request ?? 5000,
  };
}

/** `xmpp.reconnect` as back-off policies; a max below its min is raised to the min. */
function reconnectPolicy(r: { min: string; max: string; conflict_min: string; conflict_max: string }): ReconnectConfig {
  const policy = (min: string, max: string) => {
    const baseMs = parseDuration(min)!;
    return { baseMs, capMs: Math.max(baseMs, parseDuration(max)!) };
  };
  return { network: policy(r.min, r.max), conflict: policy(r.conflict_min, r.conflict_max) };
}
