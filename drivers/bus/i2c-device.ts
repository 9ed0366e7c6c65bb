// I2C chips on shared adapters: one i2c-bus handle and ONE LOCK per bus number, so the
// transactions of different chips on /dev/i2c-N never interleave (a BME280 burst read must not
// land between an ADS1115's config write and its conversion read). Every raw call runs under a
// timeout and is retried with backoff on EIO/EREMOTEIO: the BCM283x controller mishandles clock
// stretching (fivdi/i2c-bus#36, raspberrypi/linux#254). ENXIO (no ACK) and ENOENT are not retried.
import type { Logger } from "pino";
import { I2C_NOT_INSTALLED, i2cError } from "./i2c.js";
import type { I2cDevice, I2cOptions, I2cRaw } from "./types.js";
import { sleep } from "../sleep.js";

/** The subset of i2c-bus 5's PromisifiedBus used here (the fake in test/fakes/i2c-bus.ts implements it). */
export interface PromisifiedBusLike {
  readI2cBlock(address: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  writeI2cBlock(address: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  readByte(address: number, cmd: number): Promise<number>;
  writeByte(address: number, cmd: number, byte: number): Promise<void>;
  i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  close(): Promise<void>;
}

export type OpenBus = (busNumber: number) => Promise<PromisifiedBusLike>;

export interface I2cDeviceDeps {
  /** Opens adapter N; defaults to i2c-bus's openPromisified (loaded lazily). Tests pass a fake. */
  openBus?: OpenBus;
  /** Per raw call; default 1000 ms. */
  timeoutMs?: number;
  /** Retries on EIO/EREMOTEIO; default 3. */
  retries?: number;
  /** First backoff delay, doubled each retry; default 10 ms. */
  retryDelayMs?: number;
}

export const I2C_DEFAULT_TIMEOUT_MS = 1000;
export const I2C_DEFAULT_RETRIES = 3;
export const I2C_DEFAULT_RETRY_DELAY_MS = 10;

// A variable specifier: neither tsc nor vite try to resolve a module that may be absent.
const MODULE_NAME = "i2c-bus";

/**
 * The real opener: `await import("i2c-bus")` on first use, then openPromisified(n) without
 * forced access (an address a kernel driver owns fails with EBUSY). `load` is for tests.
 */
export function realBusOpener(load: () => Promise<unknown> = () => import(MODULE_NAME)): OpenBus {
  return (busNumber) => openWith(load, busNumber);
}

async function openWith(load: () => Promise<unknown>, busNumber: number): Promise<PromisifiedBusLike> {
  let mod: unknown;
  try {
    mod = await load();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const message = err instanceof Error ? err.message : String(err);
    if (code === "ERR_MODULE_NOT_FOUND" && message.includes(`'${MODULE_NAME}'`)) throw new Error(I2C_NOT_INSTALLED, { cause: err });
    throw new Error(`cannot load the i2c-bus module: ${message} (reinstall it: "npm rebuild i2c-bus", needs build-essential)`, { cause: err });
  }
  type Opener = { openPromisified?: (n: number, o?: { forceAccess?: boolean }) => Promise<PromisifiedBusLike> };
  const m = mod as Opener & { default?: Opener };
  const open = typeof m.openPromisified === "function" ? m.openPromisified : m.default?.openPromisified;
  if (typeof open !== "function") throw new Error("cannot load the i2c-bus module: no openPromisified() (i2c-bus 5 or later is needed)");
  try {
    return await open(busNumber, { forceAccess: false });
  } catch (err) {
    throw i2cError(`/dev/i2c-${busNumber}`, err);
  }
}

export const openRealBus: OpenBus = realBusOpener();

/** SMBus block transfers carry at most 32 data bytes (i2c-bus checks it too, less clearly). */
const SMBUS_BLOCK_MAX = 32;

/** One adapter shared by every device on it. `tail` is the lock: each transaction chains onto it. */
interface SharedBus {
  bus: Promise<PromisifiedBusLike> | undefined;
  tail: Promise<void>;
  refs: number;
}

// Keyed by opener then bus number: every real device shares one map; a test's fake opener gets its own.
const BUSES = new WeakMap<OpenBus, Map<number, SharedBus>>();

function sharedBus(openBus: OpenBus, busNumber: number): SharedBus {
  let byNumber = BUSES.get(openBus);
  if (!byNumber) BUSES.set(openBus, (byNumber = new Map()));
  let shared = byNumber.get(busNumber);
  if (!shared) byNumber.set(busNumber, (shared = { bus: undefined, tail: Promise.resolve(), refs: 0 }));
  return shared;
}

const RETRYABLE = new Set(["EIO", "EREMOTEIO"]);

/** A raw call that did not settle in time (code "ETIMEDOUT"); not retried. */
export class I2cTimeoutError extends Error {
  override name = "I2cTimeoutError";
  readonly code = "ETIMEDOUT";
}

function hex2(n: number): string {
  return `0x${n.toString(16).padStart(2, "0")}`;
}

function codeOf(err: unknown): string | undefined {
  return i2cError("", err).code;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function abortPromise(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

export function openI2cDevice(options: I2cOptions, log: Logger, deps: I2cDeviceDeps = {}): I2cDevice {
  const { bus: busNumber, address } = options;
  const openBus = deps.openBus ?? openRealBus;
  const timeoutMs = deps.timeoutMs ?? I2C_DEFAULT_TIMEOUT_MS;
  const retries = deps.retries ?? I2C_DEFAULT_RETRIES;
  const retryDelayMs = deps.retryDelayMs ?? I2C_DEFAULT_RETRY_DELAY_MS;
  const label = `i2c-${busNumber} ${hex2(address)}`;
  const shared = sharedBus(openBus, busNumber);
  shared.refs++;
  let closed = false;

  const getBus = (): Promise<PromisifiedBusLike> => {
    if (!shared.bus) {
      const opening = openBus(busNumber);
      shared.bus = opening;
      // A failed open is retried by the next transaction (the adapter may be enabled later).
      opening.catch(() => {
        if (shared.bus === opening) shared.bus = undefined;
      });
    }
    return shared.bus;
  };

  /** One raw call under the timeout (and the transaction's signal). */
  const once = <T>(what: string, call: (bus: PromisifiedBusLike) => Promise<T>, signal?: AbortSignal): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const onAbort = () => finish(() => reject(signal?.reason));
      // The native call may still be pending after a timeout; the kernel's adapter lock keeps it
      // from mixing bytes with the next transaction, and a hung chip usually fails those too.
      const timer = setTimeout(() => finish(() => reject(new I2cTimeoutError(`${label}: ${what} timed out after ${timeoutMs} ms`))), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      getBus()
        .then(call)
        .then(
          (v) => finish(() => resolve(v)),
          (err: unknown) => finish(() => reject(err)),
        );
    });

  /** `once` with retries and backoff on EIO/EREMOTEIO; other errors get the chip in their message. */
  const call = async <T>(what: string, fn: (bus: PromisifiedBusLike) => Promise<T>, signal?: AbortSignal): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await once(what, fn, signal);
      } catch (err) {
        if (signal?.aborted && err === signal.reason) throw err;
        if (err instanceof I2cTimeoutError) throw err; // a hanging chip: retrying would hold the bus longer
        const code = codeOf(err);
        if (code && RETRYABLE.has(code)) {
          if (attempt < retries) {
            const delay = retryDelayMs * 2 ** attempt;
            log.debug({ bus: busNumber, address, code, attempt: attempt + 1, delay }, "i2c call failed, retrying");
            await sleep(delay, signal);
            continue;
          }
          throw Object.assign(new Error(`${label}: ${code} after ${retries} retries: ${what}: ${messageOf(err)}`, { cause: err }), { code });
        }
        const hint =
          code === "ENXIO" ? `no chip acknowledged at ${hex2(address)} (check wiring and address; "thingd scan-i2c" lists them)` : messageOf(err);
        throw Object.assign(new Error(`${label}: ${what}: ${hint}`, { cause: err }), code ? { code } : {});
      }
    }
  };

  const rawFor = (signal?: AbortSignal): I2cRaw => ({
    async readBlock(register, length) {
      if (!(length >= 1 && length <= SMBUS_BLOCK_MAX)) throw new Error(`${label}: readBlock length ${length}: expected 1-${SMBUS_BLOCK_MAX}`);
      const { bytesRead, buffer } = await call(
        `readBlock(${hex2(register)}, ${length})`,
        (b) => b.readI2cBlock(address, register, length, Buffer.alloc(length)),
        signal,
      );
      if (bytesRead !== length) throw new Error(`${label}: readBlock(${hex2(register)}, ${length}): got ${bytesRead} bytes`);
      return buffer.subarray(0, length);
    },
    async writeBlock(register, data) {
      if (data.length > SMBUS_BLOCK_MAX) throw new Error(`${label}: writeBlock of ${data.length} bytes: at most ${SMBUS_BLOCK_MAX}`);
      await call(`writeBlock(${hex2(register)}, ${data.length})`, (b) => b.writeI2cBlock(address, register, data.length, data), signal);
    },
    readByte: (register) => call(`readByte(${hex2(register)})`, (b) => b.readByte(address, register), signal),
    writeByte: (register, value) => call(`writeByte(${hex2(register)})`, (b) => b.writeByte(address, register, value), signal),
    async i2cWrite(data) {
      await call(`i2cWrite(${data.length})`, (b) => b.i2cWrite(address, data.length, data), signal);
    },
    async i2cRead(length) {
      const { bytesRead, buffer } = await call(`i2cRead(${length})`, (b) => b.i2cRead(address, length, Buffer.alloc(length)), signal);
      if (bytesRead !== length) throw new Error(`${label}: i2cRead(${length}): got ${bytesRead} bytes`);
      return buffer.subarray(0, length);
    },
    sleep: (ms, s) => sleep(ms, s ?? signal),
  });

  return {
    bus: busNumber,
    address,
    transaction<T>(fn: (raw: I2cRaw) => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (closed) return Promise.reject(new Error(`${label}: device closed`));
      const previous = shared.tail;
      let release!: () => void;
      const mine = new Promise<void>((r) => (release = r));
      // The next transaction waits for both: giving up the wait (abort) must not let it in early.
      shared.tail = previous.then(() => mine);
      const run = async (): Promise<T> => {
        try {
          await (signal ? Promise.race([previous, abortPromise(signal)]) : previous);
          signal?.throwIfAborted();
          return await fn(rawFor(signal));
        } finally {
          release();
        }
      };
      return run();
    },
    async close() {
      if (closed) return;
      closed = true;
      shared.refs--;
      if (shared.refs > 0) return;
      const opening = shared.bus;
      shared.bus = undefined;
      BUSES.get(openBus)?.delete(busNumber);
      // Closed after the queued transactions of this adapter finished.
      await shared.tail;
      if (opening) await opening.then((b) => b.close()).catch(() => undefined);
    },
  };
}
