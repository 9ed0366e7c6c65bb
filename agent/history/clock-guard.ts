// Keeps readings taken before the clock was synchronised out of the history until it is, then
// writes them with times corrected from the monotonic clock: a reading taken `d` ms (monotonic)
// before the moment the sync was seen happened `d` ms before the then-right wall time. So the
// history never holds a segment dated 1970 or the last shutdown, and loses no reading of a
// boot's first minutes. At most `maxHeld` readings are held; past that the oldest are dropped
// (said once in the log): a board that never syncs keeps no history, rather than a wrong one.
import type { Logger } from "pino";
import type { Field } from "../../drivers/types.js";
import type { Clock } from "../ops/clock.js";

export type HistorySink = (nodeId: string, fields: readonly Field[]) => void;

interface Held {
  nodeId: string;
  fields: readonly Field[];
  /** Monotonic time of the append, and the wall time then (the fields' times are relative to it). */
  mono: number;
  wall: number;
}

export interface ClockGuardOptions {
  clock: Clock;
  sink: HistorySink;
  log?: Logger | undefined;
  maxHeld?: number;
}

export class ClockGuard {
  readonly #o: ClockGuardOptions & { maxHeld: number };
  #held: Held[] = [];
  #dropped = 0;
  #released = false;

  constructor(o: ClockGuardOptions) {
    this.#o = { maxHeld: 20_000, ...o };
  }

  /** Readings waiting for the clock. */
  get held(): number {
    return this.#held.length;
  }

  /** Readings dropped because too many were held. */
  get dropped(): number {
    return this.#dropped;
  }

  append(nodeId: string, fields: readonly Field[]): void {
    const { clock } = this.#o;
    if (this.#released || clock.syncState() !== "unsynchronised") {
      if (!this.#released) this.#release();
      this.#o.sink(nodeId, fields);
      return;
    }
    if (this.#held.length >= this.#o.maxHeld) {
      this.#held.shift();
      if (this.#dropped++ === 0) {
        this.#o.log?.warn({ held: this.#o.maxHeld }, "clock not synchronised: dropping the oldest readings taken before the sync from history");
      }
    }
    this.#held.push({ nodeId, fields, mono: clock.monoNow(), wall: clock.wallNow() });
  }

  /** Check the clock now (a timer, so held readings are written even when no reading comes). */
  poll(): void {
    if (!this.#released && this.#o.clock.syncState() !== "unsynchronised") this.#release();
  }

  #release(): void {
    this.#released = true;
    const { clock } = this.#o;
    const wallNow = clock.wallNow();
    const monoNow = clock.monoNow();
    const held = this.#held;
    this.#held = [];
    for (const h of held) {
      const readAt = wallNow - (monoNow - h.mono);
      const shift = readAt - h.wall;
      this.#o.sink(h.nodeId, h.fields.map((f) => ({ ...f, timestamp: new Date(f.timestamp.getTime() + shift) })));
    }
    if (held.length > 0 || this.#dropped > 0) {
      this.#o.log?.info(
        { readings: held.length, dropped: this.#dropped, shiftedMs: Math.round(wallNow - (held[0]?.wall ?? wallNow) - (monoNow - (held[0]?.mono ?? monoNow))) },
        "clock synchronised: readings taken before the sync written to history with corrected times",
      );
    }
  }
}
