// An in-memory I2C adapter (what i2c-bus's PromisifiedBus does on /dev/i2c-N), hosting chip
// emulators by 7-bit address. Emulators see raw I2C messages, as on the wire: an SMBus
// "read I2C block" of register R is write([R]) then read(len); "write byte" is write([R, v]).
import type { PromisifiedBusLike } from "../../drivers/bus/i2c-device.js";

/** A chip at the register level: receives raw write messages, answers raw read messages. */
export interface I2cChipEmulator {
  /** One write message (after the address byte). Throw an Error with `code` to NACK. */
  write(data: Buffer): void;
  /** One read message of `length` bytes. */
  read(length: number): Buffer;
}

/** One message seen on the wire, in order, for assertions on locking. */
export interface I2cMessage {
  address: number;
  op: "write" | "read";
  data: Buffer;
}

function errnoError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

export class FakeI2cBus implements PromisifiedBusLike {
  /** Every message that reached a chip, in order. */
  readonly messages: I2cMessage[] = [];
  closed = false;
  readonly #chips = new Map<number, I2cChipEmulator>();
  readonly #failures = new Map<number, { count: number; code: string }>();
  readonly #hanging = new Set<number>();

  constructor(readonly busNumber = 1) {}

  attach(address: number, chip: I2cChipEmulator): this {
    this.#chips.set(address, chip);
    return this;
  }

  detach(address: number): void {
    this.#chips.delete(address);
  }

  /** The next `count` calls to `address` reject with `code` (EREMOTEIO: the Pi's clock-stretching bug). */
  failNext(address: number, count: number, code = "EREMOTEIO"): void {
    this.#failures.set(address, { count, code });
  }

  /** Calls to `address` never settle (a chip holding SCL low) until `hang(address, false)`. */
  hang(address: number, on = true): void {
    if (on) this.#hanging.add(address);
    else this.#hanging.delete(address);
  }

  async readI2cBlock(address: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    const chip = await this.#chip(address);
    this.#write(address, chip, Buffer.from([cmd]));
    const data = this.#read(address, chip, length);
    data.copy(buffer, 0, 0, length);
    return { bytesRead: data.length, buffer };
  }

  async writeI2cBlock(address: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    const chip = await this.#chip(address);
    this.#write(address, chip, Buffer.concat([Buffer.from([cmd]), buffer.subarray(0, length)]));
    return { bytesWritten: length, buffer };
  }

  async readByte(address: number, cmd: number): Promise<number> {
    const chip = await this.#chip(address);
    this.#write(address, chip, Buffer.from([cmd]));
    return this.#read(address, chip, 1)[0] ?? 0xff;
  }

  async writeByte(address: number, cmd: number, byte: number): Promise<void> {
    const chip = await this.#chip(address);
    this.#write(address, chip, Buffer.from([cmd, byte]));
  }

  async i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    const chip = await this.#chip(address);
    const data = this.#read(address, chip, length);
    data.copy(buffer, 0, 0, length);
    return { bytesRead: data.length, buffer };
  }

  async i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    const chip = await this.#chip(address);
    this.#write(address, chip, Buffer.from(buffer.subarray(0, length)));
    return { bytesWritten: length, buffer };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Resolves the chip after a macrotask (so concurrent callers could interleave), or fails/hangs. */
  async #chip(address: number): Promise<I2cChipEmulator> {
    await new Promise((r) => setImmediate(r));
    if (this.closed) throw errnoError("EBADF", "bus closed");
    if (this.#hanging.has(address)) await new Promise<never>(() => {});
    const failure = this.#failures.get(address);
    if (failure && failure.count > 0) {
      failure.count--;
      throw errnoError(failure.code, failure.code === "EREMOTEIO" ? "Remote I/O error" : "I/O error");
    }
    const chip = this.#chips.get(address);
    if (!chip) throw errnoError("ENXIO", `No such device or address (0x${address.toString(16)})`);
    return chip;
  }

  #write(address: number, chip: I2cChipEmulator, data: Buffer): void {
    this.messages.push({ address, op: "write", data: Buffer.from(data) });
    chip.write(data);
  }

  #read(address: number, chip: I2cChipEmulator, length: number): Buffer {
    const data = chip.read(length);
    this.messages.push({ address, op: "read", data: Buffer.from(data) });
    return data;
  }
}

/** A plain register file (auto-incrementing pointer), for generic tests. */
export class RegisterChip implements I2cChipEmulator {
  pointer = 0;
  constructor(readonly registers: Buffer = Buffer.alloc(256)) {}
  write(data: Buffer): void {
    if (data.length === 0) return;
    this.pointer = data[0]!;
    data.subarray(1).forEach((b, i) => {
      this.registers[(this.pointer + i) & 0xff] = b;
    });
  }
  read(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.registers[(this.pointer + i) & 0xff]!;
    this.pointer = (this.pointer + length) & 0xff;
    return out;
  }
}
