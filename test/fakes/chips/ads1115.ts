// ADS1115 emulator (TI SBAS444 §9.6): pointer register, Config (0x01, reset 0x8583) and
// Conversion (0x00). Writing Config with OS=1 in single-shot mode starts a conversion of the
// inputs as they are now; the result lands in the Conversion register only 1/DR later, and
// until then OS reads 0 and Conversion still holds the previous result.
import type { I2cChipEmulator } from "../i2c-bus.js";

const FS = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256];
const RATES = [8, 16, 32, 64, 128, 250, 475, 860];
/** [14:12] MUX: [positive input, negative input or -1 for GND]. */
const MUX: Array<[number, number]> = [
  [0, 1],
  [0, 3],
  [1, 3],
  [2, 3],
  [0, -1],
  [1, -1],
  [2, -1],
  [3, -1],
];

export class Ads1115Emulator implements I2cChipEmulator {
  /** Volts on AIN0..AIN3. */
  readonly inputs = [0, 0, 0, 0];
  pointer = 0;
  config = 0x8583;
  conversion = 0;
  /** Conversions started. */
  started = 0;
  #pending: { code: number; readyAt: number } | undefined;

  constructor(readonly now: () => number = () => performance.now()) {}

  write(data: Buffer): void {
    if (data.length === 0) return;
    this.pointer = data[0]! & 0x03;
    if (data.length < 3) return; // pointer only: selects the register to read
    const word = data.readUInt16BE(1);
    if (this.pointer !== 0x01) return; // thresholds ignored; Conversion is read-only
    this.config = word & 0x7fff;
    if (word & 0x8000 && word & 0x0100) this.#start(word);
  }

  read(length: number): Buffer {
    this.#settle();
    const out = Buffer.alloc(length, 0xff);
    if (this.pointer === 0x00) out.writeInt16BE(this.conversion, 0);
    else if (this.pointer === 0x01) out.writeUInt16BE(this.config | (this.#pending ? 0 : 0x8000), 0);
    return out;
  }

  #start(word: number): void {
    const [p, n] = MUX[(word >> 12) & 0x7]!;
    const fs = FS[(word >> 9) & 0x7]!;
    const rate = RATES[(word >> 5) & 0x7]!;
    const volts = this.inputs[p]! - (n < 0 ? 0 : this.inputs[n]!);
    const code = Math.max(-32768, Math.min(32767, Math.round((volts / fs) * 32768)));
    this.started++;
    this.#pending = { code, readyAt: this.now() + 1000 / rate };
  }

  #settle(): void {
    if (this.#pending && this.now() >= this.#pending.readyAt) {
      this.conversion = this.#pending.code;
      this.#pending = undefined;
    }
  }
}
