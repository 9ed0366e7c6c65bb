// systemd watchdog: ping WATCHDOG=1 at half of WatchdogSec, but only while the daemon is
// healthy, so that a wedged daemon gets restarted instead of kept alive by a timer that still
// fires (influxdata/telegraf PR #11323; docs/pitfalls.md "systemd: watchdog"). "Healthy" is kept cheap and local: the event
// loop answers in time and the scheduler has started a poll recently. The XMPP link is not part
// of it: a server outage is handled by reconnecting, and a restart would not fix it.
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import type { Notifier } from "./sd-notify.js";

export interface Health {
  ok: boolean;
  reason?: string;
}

export interface HealthMonitor {
  /** Health since the previous call (the lag window restarts at each call): call once per ping. */
  check(): Health;
  stop(): void;
}

export interface HealthOptions {
  /** ms timestamp of the last scheduler activity (0: none yet). */
  schedulerHeartbeat: () => number;
  /** A getter, so a reload that changes the sensors changes the limit. */
  maxSchedulerSilenceMs: () => number;
  /** Longest tolerated event-loop stall; default 10 s (a GC pause on a Pi Zero stays well under). */
  maxEventLoopLagMs?: number;
  now?: () => number;
}

/** Sampling period of the lag timer: a stall is measured to within this, at 4 wakeups a second. */
const LAG_SAMPLE_MS = 250;

export function createHealthMonitor(options: HealthOptions): HealthMonitor {
  const now = options.now ?? Date.now;
  const maxLagMs = options.maxEventLoopLagMs ?? 10_000;
  const started = now();
  // Timer drift: a timer that fires late measures how long the loop was busy. (perf_hooks'
  // monitorEventLoopDelay was tried first: on Node 20.20 it did not record a 600 ms stall.)
  let last = performance.now();
  let worstLagMs = 0;
  const sampler = setInterval(() => {
    const t = performance.now();
    worstLagMs = Math.max(worstLagMs, t - last - LAG_SAMPLE_MS);
    last = t;
  }, LAG_SAMPLE_MS);
  sampler.unref();
  return {
    check() {
      // Include a stall whose sample has not fired yet, and start the next window here so the
      // sampler does not count that stall a second time.
      const t = performance.now();
      const lagMs = Math.max(worstLagMs, t - last - LAG_SAMPLE_MS);
      worstLagMs = 0;
      last = t;
      if (lagMs > maxLagMs) return { ok: false, reason: `event loop stalled for ${Math.round(lagMs)} ms (limit ${maxLagMs} ms)` };
      // Before the first poll, count from start-up rather than from 1970.
      const silentMs = now() - Math.max(options.schedulerHeartbeat(), started);
      const limitMs = options.maxSchedulerSilenceMs();
      if (silentMs > limitMs) {
        return { ok: false, reason: `no sensor poll started for ${Math.round(silentMs / 1000)} s (limit ${Math.round(limitMs / 1000)} s)` };
      }
      return { ok: true };
    },
    stop() {
      clearInterval(sampler);
    },
  };
}

/**
 * How long the scheduler may be silent: a poll starts at least every period plus one read
 * timeout on the busiest sensor; allow three of those, and never less than a minute.
 */
export function schedulerSilenceLimitMs(sensors: ReadonlyArray<{ periodMs: number; timeoutMs: number }>): number {
  if (sensors.length === 0) return Number.POSITIVE_INFINITY;
  const tightest = Math.min(...sensors.map((s) => s.periodMs + s.timeoutMs));
  return Math.max(60_000, 3 * tightest);
}

export function startWatchdog(notifier: Notifier, health: () => Health, log: Logger): { stop(): void } {
  const intervalMs = notifier.watchdogIntervalMs;
  if (!notifier.enabled || intervalMs === undefined) return { stop() {} };
  let healthy = true;
  const tick = () => {
    const h = health();
    if (h.ok) {
      if (!healthy) log.info("healthy again: watchdog pings resume");
      healthy = true;
      notifier.watchdog();
      return;
    }
    if (healthy) {
      log.error({ reason: h.reason, watchdogIntervalMs: intervalMs }, "unhealthy: withholding watchdog pings; systemd restarts thingd if this lasts WatchdogSec");
    }
    healthy = false;
  };
  notifier.watchdog();
  // unref: the watchdog alone must not keep a daemon alive that is otherwise done.
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  log.info({ intervalMs }, "systemd watchdog on");
  return { stop: () => clearInterval(timer) };
}
