// CRC-8 of Sensirion humidity sensors (SHT3x datasheet §4.12 "Checksum Calculation";
// SHT4x datasheet "Checksum Calculation"): polynomial 0x31 (x^8 + x^5 + x^4 + 1), init 0xFF, no reflection,
// final XOR 0x00. Check value from the datasheets: CRC(0xBE 0xEF) = 0x92.
import { hex } from "../hex.js";

export const SENSIRION_CRC_POLY = 0x31;
export const SENSIRION_CRC_INIT = 0xff;

/** CRC-8 over `data` (each 16-bit word is sent MSB first and checked as its two bytes). */
export function sensirionCrc8(data: Uint8Array): number {
  let crc = SENSIRION_CRC_INIT;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x80 ? ((crc << 1) ^ SENSIRION_CRC_POLY) & 0xff : (crc << 1) & 0xff;
    }
  }
  return crc;
}


/**
 * The 16-bit big-endian word at `offset` of a Sensirion response (word, word, CRC triplets),
 * after checking its CRC byte at `offset + 2`. A bad CRC throws — a corrupted word is never
 * turned into a value.
 */
export function checkedWord(response: Buffer, offset: number, what: string): number {
  if (response.length < offset + 3) {
    throw new Error(`short response reading ${what}: expected ${offset + 3} bytes, got ${response.length}`);
  }
  const word = response.subarray(offset, offset + 2);
  const got = response[offset + 2]!;
  const expected = sensirionCrc8(word);
  if (got !== expected) throw new Error(`CRC mismatch on ${what}: got ${hex(got)}, expected ${hex(expected)}`);
  return response.readUInt16BE(offset);
}
