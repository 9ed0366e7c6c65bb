// A Pi without an RTC boots with the clock at 1970 (or the last shutdown) until NTP syncs.
// With an injected clock: readings taken before the sync stay out of the history until the
// sync, then land there with times corrected from the monotonic clock; nothing is ever
// written dated 1970; the sync state comes from timesyncd's flag file.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { ClockGuard } from "../../../agent/history/clock-guard.js";
import { HistoryStore } from "../../../agent/history/store.js";
import { MIN_PLAUSIBLE_TIME, systemClock, type Clock, type ClockSync } from "../../../agent/ops/clock.js";
import type { Field } from "../../../drivers/types.js";

const silent = pino({ level: "silent" });
const SYNCED_AT = Date.UTC(2026, 11, 2, 9, 0, 0);

/** A Pi's clocks: the wall clock starts at the epoch + uptime and jumps when NTP syncs. */
class PiClock implements Clock {
  mono = 5_000; // ms since boot
  wallOffset = 0; // wall = offset + mono: 1970 until the sync
  state: ClockSync = "unsynchronised";
  wallNow = () => this.wallOffset + this.mono;
  monoNow = () => this.mono;
  syncState = () => this.state;
  sync(at: number): void {
    this.wallOffset = at - this.mono;
    this.state = "synchronised";
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "thingd-clock-"));
  dirs.push(d);
  return d;
}

function reading(clock: PiClock, value: number): Field[] {
  return [{ type: "numeric", name: "t", value, unit: "°C", decimals: 1, timestamp: new Date(clock.wallNow()) }];
}

describe("ClockGuard", () => {
  it("holds pre-sync readings, then writes them with monotonic-corrected times; never a 1970 sample", () => {
    const clock = new PiClock();
    const store = new HistoryStore({ dir: tempDir(), keepMs: 30 * 86_400_000, maxBytes: 1024 ** 2, flushMs: 30_000, now: () => clock.wallNow() });
    const guard = new ClockGuard({ clock, sink: (id, f) => store.append(id, f), log: silent });
    guard.append("room", reading(clock, 20.1)); // boot + 5 s, the clock says 1970-01-01T00:00:05Z
    clock.mono += 60_000;
    guard.append("room", reading(clock, 20.2)); // boot + 65 s
    expect(guard.held).toBe(2);
    expect(store.buffered).toBe(0);

    clock.mono += 15_000; // boot + 80 s: NTP syncs, the wall clock jumps to SYNCED_AT
    clock.sync(SYNCED_AT);
    guard.append("room", reading(clock, 20.3));
    store.flush();
    const samples = store.query("room", new Set(), 0, Date.UTC(2100, 0, 1));
    expect(samples.map((s) => [new Date(s.t).toISOString(), s.value])).toStrictEqual([
      [new Date(SYNCED_AT - 75_000).toISOString(), 20.1],
      [new Date(SYNCED_AT - 15_000).toISOString(), 20.2],
      [new Date(SYNCED_AT).toISOString(), 20.3],
    ]);
    expect(samples.every((s) => s.t >= MIN_PLAUSIBLE_TIME)).toBe(true);
    expect(guard.held).toBe(0);
  });

  it("a clock that never syncs: at most maxHeld readings are held, the oldest dropped", () => {
    const clock = new PiClock();
    const written: number[] = [];
    const guard = new ClockGuard({ clock, sink: (_id, f) => written.push(f.length), log: silent, maxHeld: 3 });
    for (let i = 0; i < 5; i++) guard.append("room", reading(clock, i));
    expect([guard.held, guard.dropped, written.length]).toStrictEqual([3, 2, 0]);
  });

  it("the store itself refuses samples dated before the clock was set", () => {
    const store = new HistoryStore({ dir: tempDir(), keepMs: 30 * 86_400_000, maxBytes: 1024 ** 2, flushMs: 30_000, now: () => SYNCED_AT });
    store.append("room", [{ type: "numeric", name: "t", value: 1, unit: "", decimals: 0, timestamp: new Date(5_000) }]);
    expect(store.buffered).toBe(0);
    store.flush();
    expect(store.segmentCount).toBe(0);
  });
});

describe("systemClock", () => {
  it("reads timesyncd's flag: folder without the file = not yet, with it = synchronised (and stays so)", () => {
    const dir = path.join(tempDir(), "timesync");
    const clock = systemClock({ timesyncDir: dir, timedatectl: false });
    expect(clock.syncState()).toBe("unknown"); // no timesyncd, no timedatectl asked, a plausible clock
    mkdirSync(dir);
    expect(clock.syncState()).toBe("unsynchronised");
    writeFileSync(path.join(dir, "synchronized"), "");
    expect(clock.syncState()).toBe("synchronised");
    rmSync(dir, { recursive: true });
    expect(clock.syncState()).toBe("synchronised");
  });
});
