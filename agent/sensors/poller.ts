// One sensor's reading loop state: latest fields, last error, single-flight reads under a
// hard timeout (a read that never finishes must not block later polls, docs/pitfalls.md "node-cron").
import type { Logger } from "pino";
import type { ControlParameterInfo, ControlValue, Field, Sensor } from "../../drivers/types.js";
import { DriverError } from "../errors.js";

export interface Reading {
  fields: Field[];
  at: number;
}

export interface PollerOptions {
  id: string;
  driver: string;
  periodMs: number;
  timeoutMs: number;
}

export class ReadTimeoutError extends Error {
  override name = "ReadTimeoutError";
}

export class Poller {
  latest: Reading | undefined;
  lastError: { error: Error; at: number } | undefined;
  errorCount = 0;
  readCount = 0;
  /** When this poller (and its node's uptime) began. */
  readonly startedAt = Date.now();
  #inFlight: Promise<Reading> | undefined;
  #closed = new AbortController();
  readonly #listeners: Array<(reading: Reading) => void> = [];
  /** The sensor reported a change since `latest` was read (an output's pulse ended). */
  #changed = false;

  constructor(
    readonly options: PollerOptions,
    private readonly sensor: Sensor,
    private readonly log: Logger,
  ) {
    sensor.onChange?.(() => (this.#changed = true));
  }

  get id(): string {
    return this.options.id;
  }

  /** The part's model, where the driver reports one. */
  get model(): string | undefined {
    return this.sensor.model;
  }

  /** The cached reading if it is younger than the poll period (plus slack) and no newer failure exists. */
  fresh(now = Date.now()): Reading | undefined {
    const r = this.latest;
    // Slack: the next scheduled read lands a little after one period (timer lateness, read
    // time); without it, requests in that gap took the slow path (bench: rate ratio 0.73).
    const slack = Math.min(this.options.periodMs / 2, 5_000);
    if (!r || this.#changed || now - r.at > this.options.periodMs + slack) return undefined;
    if (this.lastError && this.lastError.at > r.at) return undefined;
    return r;
  }

  /** Call `listener` with every good reading (the history store appends them). */
  onReading(listener: (reading: Reading) => void): void {
    this.#listeners.push(listener);
  }

  /** A fresh cached reading, or a read now (shared with any read already running). */
  momentary(): Promise<Reading> {
    const fresh = this.fresh();
    return fresh ? Promise.resolve(fresh) : this.poll();
  }

  /** Read now; concurrent callers share one read (no overlap on the bus). */
  poll(): Promise<Reading> {
    this.#inFlight ??= this.#read().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #read(): Promise<Reading> {
    const { id, driver, timeoutMs } = this.options;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([timeout, this.#closed.signal]);
    const started = Date.now();
    this.#changed = false;
    try {
      const fields = await raceAbort(this.sensor.read(signal), signal, () => (timeout.aborted ? this.#timeoutError(timeoutMs) : new Error("sensor closed")));
      const reading = { fields, at: Date.now() };
      this.latest = reading;
      this.readCount++;
      this.log.debug({ ms: reading.at - started, fields: fields.length }, "read");
      for (const listener of this.#listeners) {
        try {
          listener(reading);
        } catch (err) {
          this.log.error({ err }, "reading listener failed");
        }
      }
      return reading;
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      const error = new DriverError(message, id, driver, { cause });
      if (!this.lastError || this.lastError.at < (this.latest?.at ?? 0)) this.log.warn({ err: error }, "sensor read failed");
      else this.log.debug({ err: error }, "sensor read failed again");
      this.lastError = { error, at: Date.now() };
      this.errorCount++;
      throw error;
    }
  }

  /** "read timed out after 10000 ms", with the driver's guess why (nothing arrived? garbage?). */
  #timeoutError(timeoutMs: number): ReadTimeoutError {
    let why: string | undefined;
    try {
      why = this.sensor.diagnose?.();
    } catch {
      why = undefined; // a diagnosis is a courtesy; the timeout is the error
    }
    return new ReadTimeoutError(`read timed out after ${timeoutMs} ms${why ? `: ${why}` : ""}`);
  }

  /** XEP-0325 parameters of this node (none for plain sensors). */
  get parameters(): readonly ControlParameterInfo[] {
    return this.sensor.parameters ?? [];
  }

  /**
   * Apply one control parameter under the read timeout, then read again so the next readout
   * shows the new value (a read already running may predate the write, so it is not shared).
   */
  async write(name: string, value: ControlValue): Promise<void> {
    const { timeoutMs } = this.options;
    if (!this.sensor.write) throw new Error(`${this.id} has no control parameters`);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([timeout, this.#closed.signal]);
    await raceAbort(this.sensor.write(name, value, signal), signal, () =>
      timeout.aborted ? new ReadTimeoutError(`write timed out after ${timeoutMs} ms`) : new Error("sensor closed"),
    );
    this.log.info({ parameter: name, value: String(value.value) }, "control parameter set");
    await this.#inFlight?.catch(() => {});
    await this.poll().catch(() => {}); // a failed read is logged and cached as the node's error
  }

  async close(): Promise<void> {
    this.#closed.abort(new Error("sensor closed"));
    await this.sensor.close();
  }
}

/** Resolve with `p`, or reject as soon as `signal` aborts even if the driver ignores it. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal, reason: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(reason());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason());
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(signal.aborted ? reason() : e);
      },
    );
  });
}
