// BH1750FVI emulator (ROHM datasheet "Instruction Set Architecture"): opcodes, no registers.
// Measurement commands are ignored while powered down (Power On 0x01 first); a one-time
// measurement takes `measureMs` (120 ms typ. in H-resolution), then the chip powers down.
// Reading before the measurement ends returns the previous result.
import type { I2cChipEmulator } from "../i2c-bus.js";

export class Bh1750Emulator implements I2cChipEmulator {
  /** The light the chip sees. */
  lux = 0;
  powered = false;
  /** Opcodes received, in order. */
  readonly commands: number[] = [];
  #result = 0;
  #pending: { count: number; readyAt: number } | undefined;

  constructor(
    readonly measureMs = 120,
    readonly now: () => number = () => performance.now(),
  ) {}

  write(data: Buffer): void {
    for (const opcode of data) {
      this.commands.push(opcode);
      if (opcode === 0x00) this.powered = false;
      else if (opcode === 0x01) this.powered = true;
      else if (opcode === 0x07) {
        if (this.powered) this.#result = 0; // Reset: clears the data register
      } else if (opcode === 0x20 || opcode === 0x21 || opcode === 0x23) {
        if (!this.powered) continue;
        const divisor = opcode === 0x21 ? 2.4 : 1.2;
        const count = Math.min(0xffff, Math.round(this.lux * divisor));
        this.#pending = { count, readyAt: this.now() + this.measureMs };
      }
    }
  }

  read(length: number): Buffer {
    if (this.#pending && this.now() >= this.#pending.readyAt) {
      this.#result = this.#pending.count;
      this.#pending = undefined;
      this.powered = false; // one-time modes power down after the measurement
    }
    const out = Buffer.alloc(length, 0xff);
    out.writeUInt16BE(this.#result, 0);
    return out;
  }
}
