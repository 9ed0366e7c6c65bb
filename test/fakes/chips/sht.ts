// SHT3x / SHT4x at the I2C message level, for driver tests. A measurement command starts a
// conversion; reading before it finishes is NACKed (SHT3x datasheet §4.4), after
// it the chip answers T(2)+CRC, RH(2)+CRC. `corruptNextCrc()` flips the next response's CRC.
import { sensirionCrc8 } from "../../../drivers/i2c/sensirion-crc.js";
import type { I2cChipEmulator } from "../i2c-bus.js";

export interface ShtEmulatorOptions {
  kind: "sht3x" | "sht4x";
  /** Raw 16-bit words the next measurement returns. */
  rawT: number;
  rawRH: number;
  /** Conversion time (ms); defaults 12.5 (SHT3x typ.) / 6.9 (SHT4x typ.). */
  conversionMs?: number;
}

function nack(message: string): Error {
  return Object.assign(new Error(`EREMOTEIO: ${message}`), { code: "EREMOTEIO" });
}

export class ShtEmulator implements I2cChipEmulator {
  rawT: number;
  rawRH: number;
  readonly kind: "sht3x" | "sht4x";
  conversionMs: number;
  /** Commands received, as hex ("2400", "fd"). */
  readonly commands: string[] = [];
  /** Reads NACKed because the conversion had not finished. */
  earlyReads = 0;
  #readyAt: number | undefined;
  #corruptNext: "temperature" | "humidity" | undefined;

  constructor(options: ShtEmulatorOptions) {
    this.kind = options.kind;
    this.rawT = options.rawT;
    this.rawRH = options.rawRH;
    this.conversionMs = options.conversionMs ?? (options.kind === "sht3x" ? 12.5 : 6.9);
  }

  /** The next response carries a wrong CRC on the given word. */
  corruptNextCrc(word: "temperature" | "humidity" = "temperature"): void {
    this.#corruptNext = word;
  }

  write(data: Buffer): void {
    const hex = data.toString("hex");
    this.commands.push(hex);
    const measure = this.kind === "sht3x" ? hex === "2400" : hex === "fd";
    if (!measure) throw nack(`unsupported command 0x${hex}`);
    this.#readyAt = performance.now() + this.conversionMs;
  }

  read(length: number): Buffer {
    if (this.#readyAt === undefined) throw nack("no measurement pending");
    if (performance.now() < this.#readyAt) {
      this.earlyReads++;
      throw nack("measurement in progress");
    }
    this.#readyAt = undefined;
    const out = Buffer.alloc(6);
    out.writeUInt16BE(this.rawT, 0);
    out[2] = sensirionCrc8(out.subarray(0, 2));
    out.writeUInt16BE(this.rawRH, 3);
    out[5] = sensirionCrc8(out.subarray(3, 5));
    if (this.#corruptNext) {
      out[this.#corruptNext === "temperature" ? 2 : 5]! ^= 0x5a;
      this.#corruptNext = undefined;
    }
    return out.subarray(0, length);
  }
}
