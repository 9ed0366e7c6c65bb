// The bus layer: the only place that touches hardware libraries (loaded lazily).
import type { Logger } from "pino";

export interface SerialOptions {
  path: string;
  baudRate: number;
}

/**
 * A serial line that survives unplug: it reopens with backoff when the device
 * vanishes and emits bytes as they arrive. `failure` explains why it is down.
 */
export interface SerialLink {
  onData(listener: (chunk: Buffer) => void): () => void;
  /**
   * Called after `isOpen` or `failure` changed (opened, went down, closed), so a reader
   * waiting for bytes can give up at once when the device vanishes. Returns an unsubscribe.
   */
  onStatus(listener: () => void): () => void;
  write(data: Buffer): Promise<void>;
  readonly isOpen: boolean;
  /** Why the link is down (last open/IO error), or undefined while open. */
  readonly failure: Error | undefined;
  close(): Promise<void>;
}

/** What a driver gets to reach its hardware (`createBusFactory` in ./index.ts builds the real one). */
export interface BusFactory {
  serial(options: SerialOptions, log: Logger): SerialLink;
  i2c(options: I2cOptions, log: Logger): I2cDevice;
  gpio(options: GpioOptions, log: Logger): Promise<GpioLine>;
  /** Root of /sys for the kernel-driver paths (1-wire, IIO, GPIO); "/sys" on a board. */
  sysfsRoot: string;
}

/**
 * The SMBus calls of one I2C adapter (/dev/i2c-N) that `thingd scan-i2c` needs; drivers will
 * add calls here as they come. Opened with `openI2cBus` (./i2c.ts). Errors carry the errno
 * `code` ("ENXIO", "EREMOTEIO": nobody acknowledged; "EBUSY": a kernel driver owns it).
 */
export interface I2cBus {
  /** SMBus "receive byte" from `address` (7-bit); resolves with the byte. */
  receiveByte(address: number): Promise<number>;
  /** SMBus "quick command": just the address and the R/W `bit`, no data. */
  writeQuick(address: number, bit: 0 | 1): Promise<void>;
  close(): Promise<void>;
}

/** Where an I2C chip sits: adapter number (/dev/i2c-N) and 7-bit address. */
export interface I2cOptions {
  bus: number;
  address: number;
}

/**
 * Raw I2C/SMBus calls on one chip, valid inside `I2cDevice.transaction`. Every call runs under
 * the bus layer's timeout and is retried with backoff on EIO/EREMOTEIO (the Pi's clock-stretching
 * bug) before failing. Multi-byte registers are raw bytes: drivers decode endianness themselves
 * (SMBus word reads are little-endian; most sensors are big-endian).
 */
export interface I2cRaw {
  /** Write [register] then read `length` bytes (SMBus "read I2C block"). */
  readBlock(register: number, length: number): Promise<Buffer>;
  /** Write [register, ...data]. */
  writeBlock(register: number, data: Buffer): Promise<void>;
  readByte(register: number): Promise<number>;
  writeByte(register: number, value: number): Promise<void>;
  /** Plain I2C write of `data` (commands without a register, e.g. SHT3x 0x2400). */
  i2cWrite(data: Buffer): Promise<void>;
  /** Plain I2C read of `length` bytes. */
  i2cRead(length: number): Promise<Buffer>;
  /** Wait inside a transaction (conversion time) without releasing the bus. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** One chip on a shared bus. The bus has one lock: transactions never interleave. */
export interface I2cDevice {
  readonly bus: number;
  readonly address: number;
  transaction<T>(fn: (raw: I2cRaw) => Promise<T>, signal?: AbortSignal): Promise<T>;
  close(): Promise<void>;
}

/** A GPIO line by BCM pin number, resolved to the sysfs number (chip base 0, 512 or 571). */
export interface GpioOptions {
  /** BCM pin number as printed on pinout diagrams (GPIO17 = 17). */
  pin: number;
  /**
   * "high"/"low": an output starting at that raw (physical, before active-low) level without a
   * glitch (kernel sysfs gpio ABI); "out" starts it low.
   */
  direction: "in" | "out" | "high" | "low";
  edge?: "none" | "rising" | "falling" | "both";
  activeLow?: boolean;
  /** Debounce in ms for watched inputs. */
  debounceMs?: number;
}

export interface GpioLine {
  readonly pin: number;
  /** The resolved sysfs GPIO number. */
  readonly sysfsNumber: number;
  read(): Promise<0 | 1>;
  write(value: 0 | 1): Promise<void>;
  /** Edge events (after debounce); returns an unsubscribe function. */
  watch(listener: (value: 0 | 1) => void): () => void;
  close(): Promise<void>;
}
