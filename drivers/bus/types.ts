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

export interface BusFactory {
  serial(options: SerialOptions, log: Logger): SerialLink;
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
