// Runs each poller on its schedule. `cron:` uses node-cron (noOverlap); `every:` uses a
// self-rescheduling timer, which cannot overlap and keeps sub-second and odd periods exact.
import type { Logger } from "pino";
import type { Schedule } from "../config/types.js";
import type { Poller } from "./poller.js";

export interface ScheduledTask {
  stop(): void;
}

// Heartbeat for the systemd watchdog's health check (agent/ops/watchdog.ts): when the last poll
// started, across every task. 0 until the first one.
let lastPollStart = 0;

/** ms timestamp of the last poll start on any schedule (0: none yet). */
export function lastActivity(): number {
  return lastPollStart;
}

/** Time from `now` until `periodMs` after the last start (0 when that is already past); pure for tests. */
export function nextDelay(periodMs: number, lastStart: number, now: number): number {
  return Math.max(0, lastStart + periodMs - now);
}

export async function schedulePoller(poller: Poller, schedule: Schedule, log: Logger): Promise<ScheduledTask> {
  const run = () => {
    lastPollStart = Date.now();
    poller.poll().catch(() => {
      /* logged by the poller; reported in readouts */
    });
  };
  if (schedule.kind === "cron") {
    const cron = await import("node-cron");
    const task = cron.schedule(schedule.expression, run, { noOverlap: true, name: poller.id });
    run();
    return {
      stop: () => {
        void Promise.resolve(task.stop()).catch((err: unknown) => log.warn({ err, sensor: poller.id }, "could not stop the cron task"));
      },
    };
  }
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const loop = () => {
    const started = Date.now();
    lastPollStart = started;
    poller
      .poll()
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, nextDelay(schedule.ms, started, Date.now()));
      });
  };
  // First read at once: a fresh value is ready before the first request comes in.
  loop();
  log.debug({ sensor: poller.id, everyMs: schedule.ms }, "scheduled");
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
