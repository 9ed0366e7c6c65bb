// BME280 / BMP280 at the register level (BME280 datasheet §5.3 table 18), for driver tests.
// Writes are register/data pairs (§6.2.1: multiple-byte writes repeat the address); reads
// auto-increment from the last written register address (§6.2.2). A forced-mode write to
// ctrl_meas (0xF4) starts a conversion: status bit 3 (measuring) stays set for `conversionMs`
// and the data registers 0xF7..0xFE keep their old contents (0x80000 after reset) until it ends.
import type { Bme280Calibration } from "../../../drivers/i2c/bme280.js";
import type { I2cChipEmulator } from "../i2c-bus.js";

/** Bytes of 0x88..0xA1 and 0xE1..0xE7 for `c` (the inverse of parseCalibration, §4.2.2). */
export function encodeCalibration(c: Bme280Calibration): { block1: Buffer; block2: Buffer } {
  const block1 = Buffer.alloc(26);
  block1.writeUInt16LE(c.dig_T1, 0);
  block1.writeInt16LE(c.dig_T2, 2);
  block1.writeInt16LE(c.dig_T3, 4);
  block1.writeUInt16LE(c.dig_P1, 6);
  [c.dig_P2, c.dig_P3, c.dig_P4, c.dig_P5, c.dig_P6, c.dig_P7, c.dig_P8, c.dig_P9].forEach((v, i) =>
    block1.writeInt16LE(v, 8 + 2 * i),
  );
  const block2 = Buffer.alloc(7);
  const h = c.humidity;
  if (h) {
    block1[25] = h.dig_H1;
    block2.writeInt16LE(h.dig_H2, 0);
    block2[2] = h.dig_H3;
    const h4 = h.dig_H4 & 0xfff, h5 = h.dig_H5 & 0xfff;
    block2[3] = h4 >> 4; // 0xE4: dig_H4[11:4]
    block2[4] = ((h5 & 0x0f) << 4) | (h4 & 0x0f); // 0xE5: dig_H5[3:0] | dig_H4[3:0]
    block2[5] = h5 >> 4; // 0xE6: dig_H5[11:4]
    block2.writeInt8(h.dig_H6, 6);
  }
  return { block1, block2 };
}

export interface Bme280EmulatorOptions {
  /** 0x60 BME280 (default), 0x58 BMP280, or anything to test the mismatch error. */
  chipId?: number;
  calibration: Bme280Calibration;
  /** Raw ADC values the next conversion produces. */
  adc: { adcT: number; adcP: number; adcH?: number };
  /** How long status bit 3 stays set after a forced-mode write (ms). */
  conversionMs?: number;
}

export class Bme280Emulator implements I2cChipEmulator {
  readonly registers = Buffer.alloc(256);
  pointer = 0;
  adc: { adcT: number; adcP: number; adcH?: number };
  conversionMs: number;
  /** Conversions started (forced-mode writes to ctrl_meas). */
  conversions = 0;
  /** Data reads (0xF7..) issued while status said "measuring". */
  readsWhileMeasuring = 0;
  /** ctrl_hum value latched by the last ctrl_meas write (§5.4.3). */
  latchedCtrlHum = 0;
  resets = 0;
  #measuringUntil = 0;
  #pending: { adcT: number; adcP: number; adcH?: number } | undefined;

  constructor(options: Bme280EmulatorOptions) {
    this.adc = options.adc;
    this.conversionMs = options.conversionMs ?? 5;
    this.registers[0xd0] = options.chipId ?? 0x60;
    const { block1, block2 } = encodeCalibration(options.calibration);
    block1.copy(this.registers, 0x88);
    if (this.registers[0xd0] !== 0x58) block2.copy(this.registers, 0xe1);
    this.#resetData();
  }

  #resetData(): void {
    // Reset values (§5.4.7-5.4.9): press/temp 0x80000, hum 0x8000.
    Buffer.from([0x80, 0x00, 0x00, 0x80, 0x00, 0x00, 0x80, 0x00]).copy(this.registers, 0xf7);
    this.registers[0xf2] = 0;
    this.registers[0xf4] = 0;
  }

  get measuring(): boolean {
    return performance.now() < this.#measuringUntil;
  }

  #finishConversion(): void {
    if (!this.#pending || this.measuring) return;
    const { adcT, adcP, adcH } = this.#pending;
    this.#pending = undefined;
    const r = this.registers;
    r[0xf7] = (adcP >> 12) & 0xff; r[0xf8] = (adcP >> 4) & 0xff; r[0xf9] = (adcP & 0x0f) << 4;
    r[0xfa] = (adcT >> 12) & 0xff; r[0xfb] = (adcT >> 4) & 0xff; r[0xfc] = (adcT & 0x0f) << 4;
    if (adcH !== undefined && this.registers[0xd0] !== 0x58) {
      r[0xfd] = (adcH >> 8) & 0xff; r[0xfe] = adcH & 0xff;
    }
    this.registers[0xf4] = this.registers[0xf4]! & ~0b11; // back to sleep mode after a forced conversion (§3.3.3)
  }

  write(data: Buffer): void {
    if (data.length === 0) return;
    this.pointer = data[0]!;
    for (let i = 0; i + 1 < data.length; i += 2) this.#writeRegister(data[i]!, data[i + 1]!);
  }

  #writeRegister(reg: number, value: number): void {
    if (reg === 0xe0) {
      if (value === 0xb6) {
        this.resets++;
        this.#pending = undefined;
        this.#measuringUntil = 0;
        this.#resetData();
      }
      return;
    }
    if (reg === 0xf2 || reg === 0xf5) {
      this.registers[reg] = value;
      return;
    }
    if (reg === 0xf4) {
      this.registers[reg] = value;
      this.latchedCtrlHum = this.registers[0xf2]!;
      if ((value & 0b11) === 0b01 || (value & 0b11) === 0b10) {
        this.conversions++;
        this.#pending = { ...this.adc };
        this.#measuringUntil = performance.now() + this.conversionMs;
      }
    }
    // Other registers are read-only.
  }

  read(length: number): Buffer {
    this.#finishConversion();
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) {
      const reg = (this.pointer + i) & 0xff;
      if (reg === 0xf7 && this.measuring) this.readsWhileMeasuring++;
      out[i] = reg === 0xf3 ? (this.measuring ? 0x08 : 0) : this.registers[reg]!;
    }
    this.pointer = (this.pointer + length) & 0xff;
    return out;
  }
}
