// The live set of sensors: opened pollers plus their schedules. `apply` moves it to a new
// sensor list (SIGHUP reload) keeping unchanged sensors and their cached readings, closing
// removed or changed ones and opening new ones; the XMPP session is not touched.
import type { Logger } from "pino";
import type { BusFactory } from "../../drivers/bus/types.js";
import type { SensorConfig } from "../config/types.js";
import type { Poller, Reading } from "./poller.js";
import { schedulePoller, type ScheduledTask } from "./scheduler.js";
import { openSensors } from "./open.js";

interface Entry {
  config: SensorConfig;
  fingerprint: string;
  poller: Poller;
  task: ScheduledTask;
}

export interface ApplyResult {
  added: string[];
  removed: string[];
  changed: string[];
  kept: string[];
}

function fingerprint(s: SensorConfig): string {
  return JSON.stringify([s.driver, s.schedule, s.timeoutMs, s.periodMs, s.options]);
}

export class SensorSet {
  #entries: Entry[] = [];
  #pollers: readonly Poller[] = [];

  constructor(
    private readonly bus: BusFactory,
    private readonly log: Logger,
    /** Every good reading of every sensor (the history store). */
    private readonly onReading?: (nodeId: string, reading: Reading) => void,
  ) {}

  /** Current pollers, in sensor-map order. */
  get pollers(): readonly Poller[] {
    return this.#pollers;
  }

  async apply(sensors: readonly SensorConfig[]): Promise<ApplyResult> {
    const old = new Map(this.#entries.map((e) => [e.config.id, e]));
    const result: ApplyResult = { added: [], removed: [], changed: [], kept: [] };
    const toOpen = sensors.filter((s) => {
      const prev = old.get(s.id);
      if (!prev) return result.added.push(s.id), true;
      if (prev.fingerprint !== fingerprint(s)) return result.changed.push(s.id), true;
      return result.kept.push(s.id), false;
    });
    const keep = new Set(result.kept);
    const retire = this.#entries.filter((e) => !keep.has(e.config.id));
    for (const e of retire) if (!sensors.some((s) => s.id === e.config.id)) result.removed.push(e.config.id);
    // Close before opening: a changed serial sensor must release its port first.
    await Promise.allSettled(retire.map((e) => (e.task.stop(), e.poller.close())));
    const opened = await openSensors(toOpen, this.bus, this.log);
    const fresh = new Map<string, Entry>();
    for (const [i, s] of toOpen.entries()) {
      const poller = opened[i]!;
      if (this.onReading) poller.onReading((r) => this.onReading?.(poller.id, r));
      fresh.set(s.id, { config: s, fingerprint: fingerprint(s), poller, task: await schedulePoller(poller, s.schedule, this.log) });
    }
    this.#entries = sensors.map((s) => fresh.get(s.id) ?? old.get(s.id)!);
    this.#pollers = this.#entries.map((e) => e.poller);
    return result;
  }

  async close(): Promise<void> {
    const entries = this.#entries;
    this.#entries = [];
    this.#pollers = [];
    for (const e of entries) e.task.stop();
    await Promise.allSettled(entries.map((e) => e.poller.close()));
  }
}
