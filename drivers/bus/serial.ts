// Serial links over `serialport` (the only file that imports it, lazily, so everything else
// runs on machines without the native binding). serialport has no automatic reconnect
// (serialport/node-serialport#648, #1834) and adapters do vanish (Koenkk/zigbee2mqtt#17809),
// so this link reopens on its own with backoff until close() is called.
import { read } from "node:fs";
import { promisify } from "node:util";
import type { Logger } from "pino";
import type { SerialPort } from "serialport";
import type { SerialLink, SerialOptions } from "./types.js";

export interface SerialBackoff {
  /** Ceiling of the first retry delay. */
  initialDelayMs: number;
  /** Largest ceiling; reached after a few failed attempts. */
  maxDelayMs: number;
}

export const DEFAULT_SERIAL_BACKOFF: SerialBackoff = { initialDelayMs: 500, maxDelayMs: 30_000 };

/**
 * Delay before reopen attempt `attempt` (0-based): exponential with "equal jitter" (half fixed,
 * half random), so links on many boards don't retry in lockstep after a shared power event.
 */
export function serialBackoffDelay(attempt: number, backoff: SerialBackoff, random = Math.random()): number {
  const ceiling = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

type SerialportModule = typeof import("serialport");
type Binding = SerialportModule["SerialPort"]["binding"];
interface Loaded {
  SerialPort: SerialportModule["SerialPort"];
  binding: Binding;
}
let loaded: Promise<Loaded> | undefined;

function loadSerialport(): Promise<Loaded> {
  loaded ??= import("serialport").then(
    (mod) => ({ SerialPort: mod.SerialPort, binding: hangupAwareBinding(mod.SerialPort.binding) }),
    (err: unknown) => {
      loaded = undefined; // let a later attempt try again
      throw new Error(`cannot load the serialport module: ${(err as Error).message}`, { cause: err });
    },
  );
  return loaded;
}

/** What we use of bindings-cpp's LinuxPortBinding/DarwinPortBinding (public fields, v13). */
interface UnixPortBinding {
  fd: number | null;
  poller: { once(event: "readable", callback: (err: Error | null) => void): unknown };
  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>;
}

function isUnixPortBinding(port: unknown): port is UnixPortBinding {
  const p = port as Partial<UnixPortBinding> | null;
  return typeof p?.fd === "number" && typeof p.poller?.once === "function" && typeof p.read === "function";
}

const fsRead = promisify(read);

/**
 * bindings-cpp 13 retries a 0-byte read at once, forever (serialport/bindings-cpp#162, fix
 * PR #164 unmerged). A tty returns 0 (end of file) after a hang-up, which is what the kernel
 * does to an open USB-serial port on unplug and to a pty when its master closes: the port
 * then spins a CPU and grows memory, and 'close' never comes. Over socat ptys, with the stock
 * read, 5 of 20 unplugs that came right after data went undetected. This read treats end of file as a disconnect instead; the rest
 * mirrors bindings-cpp's unixRead (O_NONBLOCK fd: EAGAIN means wait for the poller).
 */
function hangupAwareBinding(binding: Binding): Binding {
  const realOpen = binding.open as (options: unknown) => Promise<unknown>;
  const open = async (options: unknown) => {
    const port = await realOpen.call(binding, options);
    if (isUnixPortBinding(port)) port.read = (buffer, offset, length) => readUntilHangup(port, buffer, offset, length);
    return port;
  };
  return { ...binding, list: () => binding.list(), open } as unknown as Binding;
}

async function readUntilHangup(
  port: UnixPortBinding,
  buffer: Buffer,
  offset: number,
  length: number,
): Promise<{ buffer: Buffer; bytesRead: number }> {
  for (;;) {
    // `canceled` tells @serialport/stream this is our own close, not a disconnect.
    if (port.fd === null) throw Object.assign(new Error("Port is not open"), { canceled: true });
    let bytesRead: number;
    try {
      ({ bytesRead } = await fsRead(port.fd, buffer, offset, length, null));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EAGAIN" && code !== "EWOULDBLOCK" && code !== "EINTR") throw err;
      if (port.fd === null) continue; // closed meanwhile: its poller is destroyed, don't touch it
      await new Promise<void>((resolve, reject) =>
        port.poller.once("readable", (e) => (e ? reject(e) : resolve())),
      );
      continue;
    }
    if (bytesRead === 0) throw Object.assign(new Error("end of file (device hung up)"), { disconnect: true });
    return { buffer, bytesRead };
  }
}

// The native binding reports strerror() text without an errno code; map the ones that mean
// "device gone or not allowed" so logs and readouts carry a greppable code.
const ERRNO_BY_TEXT: ReadonlyArray<[RegExp, string]> = [
  [/no such file or directory/i, "ENOENT"],
  [/permission denied/i, "EACCES"],
  [/input\/output error/i, "EIO"],
  [/no such device or address/i, "ENXIO"], // before ENODEV, whose text is its prefix
  [/no such device/i, "ENODEV"],
  [/bad file descriptor/i, "EBADF"],
  [/device or resource busy/i, "EBUSY"],
];

/** `serial /dev/ttyAMA0: ENOENT: no such file or directory`, from what serialport reports. */
export function describeSerialFailure(path: string, err: unknown): Error & { code?: string } {
  const raw = err instanceof Error ? err.message : String(err);
  // "Error: No such file or directory, cannot open /dev/x": the path is already in front.
  const text = raw.replace(/^(Error: )+/, "").replace(`, cannot open ${path}`, "");
  const own = (err as { code?: unknown } | null)?.code;
  const code = typeof own === "string" ? own : ERRNO_BY_TEXT.find(([re]) => re.test(text))?.[1];
  const disconnected = (err as { disconnected?: unknown } | null)?.disconnected === true;
  const detail = code && !text.startsWith(code) ? `${code}: ${lowerFirst(text)}` : text;
  const message = `serial ${path}: ${disconnected ? "disconnected: " : ""}${detail}`;
  // No `cause`: the message already holds its text, and pino would append it a second time.
  return Object.assign(new Error(message), code ? { code } : {});
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** Open `options.path` (8N1) and keep it open: reopens with backoff until close(). */
export function openSerialLink(options: SerialOptions, log: Logger, backoff: Partial<SerialBackoff> = {}): SerialLink {
  return new ReopeningSerialLink(options, log.child({ bus: "serial", port: options.path }), {
    ...DEFAULT_SERIAL_BACKOFF,
    ...backoff,
  });
}

class ReopeningSerialLink implements SerialLink {
  #port: SerialPort | undefined; // the port being opened or open; undefined while waiting
  #open = false;
  #closed = false;
  #failure: Error | undefined;
  #attempt = 0;
  #downSince: number | undefined; // set for the whole outage, so we warn once per outage
  #everOpened = false;
  #timer: NodeJS.Timeout | undefined;
  #opening: Promise<void> | undefined;
  readonly #data = new Set<(chunk: Buffer) => void>();
  readonly #status = new Set<() => void>();

  constructor(
    private readonly options: SerialOptions,
    private readonly log: Logger,
    private readonly backoff: SerialBackoff,
  ) {
    this.#startOpen();
  }

  get isOpen(): boolean {
    return this.#open;
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  onData(listener: (chunk: Buffer) => void): () => void {
    this.#data.add(listener);
    return () => this.#data.delete(listener);
  }

  onStatus(listener: () => void): () => void {
    this.#status.add(listener);
    return () => this.#status.delete(listener);
  }

  write(data: Buffer): Promise<void> {
    const port = this.#port;
    if (!this.#open || !port) {
      const why = this.#failure ? this.#failure.message : `serial ${this.options.path}: not open`;
      return Promise.reject(new Error(why, { cause: this.#failure }));
    }
    return new Promise((resolve, reject) => {
      port.write(data, (err) => {
        if (err) return reject(describeSerialFailure(this.options.path, err));
        // drain = handed to the kernel, so a caller can wait before expecting a reply.
        port.drain((e) => (e ? reject(describeSerialFailure(this.options.path, e)) : resolve()));
      });
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#opening; // an open in flight finishes first, then is closed below
    const port = this.#port;
    this.#port = undefined;
    this.#open = false;
    this.#failure = new Error(`serial ${this.options.path}: closed`);
    this.#notify();
    this.#data.clear();
    this.#status.clear();
    if (port?.isOpen) {
      await new Promise<void>((resolve) => port.close(() => resolve())); // close errors change nothing now
    }
    this.log.debug("serial port closed");
  }

  #startOpen(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    this.#opening = this.#openOnce().finally(() => {
      this.#opening = undefined;
    });
  }

  async #openOnce(): Promise<void> {
    let mod: Loaded;
    try {
      mod = await loadSerialport();
    } catch (err) {
      this.#fail(undefined, err);
      return;
    }
    if (this.#closed) return;
    let port: SerialPort;
    try {
      const openOptions = {
        path: this.options.path,
        baudRate: this.options.baudRate,
        dataBits: 8 as const,
        parity: "none" as const,
        stopBits: 1 as const,
        autoOpen: false,
        binding: mod.binding, // SerialPort lets this override its detected binding
      };
      port = new mod.SerialPort(openOptions);
    } catch (err) {
      this.#fail(undefined, err); // bad options throw synchronously
      return;
    }
    this.#port = port;
    port.on("data", (chunk: Buffer) => {
      if (this.#port === port) this.#emitData(chunk);
    });
    // 'close' carries a DisconnectedError when the device vanished; it also fires after our
    // own close(), when the port is no longer current and is ignored.
    port.on("close", (err: Error | null) => {
      if (this.#port === port) this.#fail(port, err ?? new Error("port closed unexpectedly"));
    });
    // Always listening: an unhandled 'error' event would crash the daemon.
    port.on("error", (err: Error) => {
      if (this.#port === port) this.#fail(port, err);
      else this.log.debug({ err }, "error on a discarded serial port");
    });
    const err = await new Promise<Error | null>((resolve) => port.open(resolve));
    if (this.#port !== port) return;
    if (err) return this.#fail(port, err);
    if (this.#closed) return; // close() awaits us and closes the port
    this.#open = true;
    this.#failure = undefined;
    if (this.#downSince !== undefined && this.#everOpened) {
      this.log.info({ attempts: this.#attempt, downMs: Date.now() - this.#downSince }, "serial port reopened");
    } else if (this.#downSince !== undefined) {
      this.log.info({ attempts: this.#attempt }, "serial port open after retries");
    } else {
      this.log.info({ baudRate: this.options.baudRate }, "serial port open");
    }
    this.#everOpened = true;
    this.#attempt = 0;
    this.#downSince = undefined;
    this.#notify();
  }

  /** The current port failed (or could not be created): drop it and schedule a reopen. */
  #fail(port: SerialPort | undefined, err: unknown): void {
    if (this.#closed || this.#port !== port) return;
    this.#port = undefined;
    this.#open = false;
    if (port?.isOpen) port.close(() => {}); // after an 'error' the fd may still be open
    this.#failure = describeSerialFailure(this.options.path, err);
    const delay = serialBackoffDelay(this.#attempt++, this.backoff);
    if (this.#downSince === undefined) {
      this.#downSince = Date.now();
      this.log.warn({ err: this.#failure }, "serial port unavailable; reopening with backoff");
    } else {
      this.log.debug({ err: this.#failure, attempt: this.#attempt, delayMs: delay }, "serial reopen failed");
    }
    this.#timer = setTimeout(() => this.#startOpen(), delay);
    this.#notify();
  }

  #emitData(chunk: Buffer): void {
    for (const listener of this.#data) {
      try {
        listener(chunk);
      } catch (err) {
        this.log.error({ err }, "serial data listener threw");
      }
    }
  }

  #notify(): void {
    for (const listener of this.#status) {
      try {
        listener();
      } catch (err) {
        this.log.error({ err }, "serial status listener threw");
      }
    }
  }
}
