// What every I2C driver's sensor entry and error paths share: the adapter number and address
// keys of its config, and errors that say which chip failed.
import { z } from "zod";
import { hex } from "../hex.js";

/** `0x5C`: how a config error names an address. */
function upper(a: number): string {
  return `0x${a.toString(16).toUpperCase().padStart(2, "0")}`;
}

/** `0x5C (92)`: both bases, since a sensor map may be written in either. */
function both(a: number): string {
  return `${upper(a)} (${a})`;
}

/** The `bus:` key: adapter number N of /dev/i2c-N; 1 is the one on a Pi's 40-pin header. */
export const i2cBusSchema = z.number().int().min(0).default(1);

/**
 * The `address:` key of a chip that answers at one of a few fixed 7-bit addresses (set by an
 * address pin or the part number); the first is the default.
 */
export function i2cAddressOneOf(addresses: readonly [number, ...number[]]) {
  return z
    .number()
    .int()
    .refine((a) => addresses.includes(a), { message: `expected address ${addresses.map(both).join(" or ")}` })
    .default(addresses[0]);
}

/** The `address:` key of a chip with a range of addresses (`what` names it in the message). */
export function i2cAddressRange(min: number, max: number, what = "address") {
  const message = `expected ${what} ${upper(min)}-${upper(max)} (${min}-${max})`;
  return z.number().int().min(min, message).max(max, message);
}

/** Prefix an error with where it happened (`sht3x on i2c-1 at 0x44`), keeping its errno `code`. */
export function withContext(err: unknown, where: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  const out = new Error(`${where}: ${message}`);
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? Object.assign(out, { code }) : out;
}

/** `sht3x on i2c-1 at 0x44`: the prefix of a chip's errors. */
export function chipLabel(name: string, at: { bus: number; address: number }): string {
  return `${name} on i2c-${at.bus} at ${hex(at.address)}`;
}
