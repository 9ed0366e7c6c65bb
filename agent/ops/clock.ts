// Is the wall clock right? A Raspberry Pi has no real-time clock: at boot the time is wherever
// fake-hwclock left it (the last shutdown) or 1970, until NTP syncs and the clock jumps.
// Readings taken before that carry wrong times. Sources, in order:
//   1. systemd-timesyncd: /run/systemd/timesync/synchronized exists once it has synced
//      (its folder without that file: running, not synced yet);
//   2. `timedatectl show -p NTPSynchronized --value` (chrony, ntpd: the kernel's sync flag);
//   3. neither: unknown, taken as right unless the clock is before MIN_PLAUSIBLE_TIME.
// Once synchronised, a clock stays so for this process (NTP keeps it; we don't re-ask).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { performance } from "node:perf_hooks";

export type ClockSync = "synchronised" | "unsynchronised" | "unknown";

/** No reading of this thingd can predate this (2025-01-01T00:00:00Z): an earlier clock is unset. */
export const MIN_PLAUSIBLE_TIME = Date.UTC(2025, 0, 1);

export interface Clock {
  /** Wall-clock time, ms since the epoch (Date.now()). */
  wallNow(): number;
  /** Monotonic ms (performance.now()): unaffected by the clock being set. */
  monoNow(): number;
  syncState(): ClockSync;
}

export interface SystemClockOptions {
  timesyncDir?: string;
  /** Run timedatectl when timesyncd is not there (default true). */
  timedatectl?: boolean;
  /** How often timedatectl may be asked while unsynchronised. */
  askEveryMs?: number;
}

export function systemClock(o: SystemClockOptions = {}): Clock {
  const dir = o.timesyncDir ?? "/run/systemd/timesync";
  const askEveryMs = o.askEveryMs ?? 60_000;
  let synced = false;
  let lastAsked = -Infinity;
  let lastAnswer: ClockSync = "unknown";
  const wallNow = () => Date.now();
  const monoNow = () => performance.now();
  const judge = (): ClockSync => {
    if (existsSync(`${dir}/synchronized`)) return "synchronised";
    if (existsSync(dir)) return "unsynchronised";
    if (o.timedatectl === false) return "unknown";
    if (monoNow() - lastAsked < askEveryMs) return lastAnswer;
    lastAsked = monoNow();
    try {
      const out = execFileSync("timedatectl", ["show", "-p", "NTPSynchronized", "--value"], { encoding: "utf8", timeout: 2_000, stdio: ["ignore", "pipe", "ignore"] }).trim();
      lastAnswer = out === "yes" ? "synchronised" : out === "no" ? "unsynchronised" : "unknown";
    } catch {
      lastAnswer = "unknown"; // no timedatectl, or no systemd to ask
    }
    return lastAnswer;
  };
  return {
    wallNow,
    monoNow,
    syncState() {
      if (synced) return "synchronised";
      const state = judge();
      if (state === "synchronised") synced = true;
      if (state === "unknown" && wallNow() < MIN_PLAUSIBLE_TIME) return "unsynchronised";
      return state;
    },
  };
}
