// `thingd scan-i2c [bus]`: which addresses answer on /dev/i2c-<bus> (default 1, the header
// pins 3/5 of a Pi), printed as `i2cdetect -y <bus>` does, so a wiring check needs no
// i2c-tools. Exit codes: 0 scanned, 1 the bus could not be opened or probed, 64 bad bus number.
import type { Io } from "./io.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../errors.js";
import { openI2cBus } from "../../drivers/bus/i2c.js";
import type { I2cBus } from "../../drivers/bus/types.js";

export const FIRST_ADDRESS = 0x03;
export const LAST_ADDRESS = 0x77;

export interface ScanI2cOptions {
  /** The positional argument, as typed. */
  bus?: string | undefined;
}

export interface ScanResult {
  /** Addresses that acknowledged. */
  found: number[];
  /** Addresses claimed by a kernel driver ("UU"): something is there, and in use. */
  busy: number[];
}

// Errors that only mean "no device acknowledged" (as i2c-bus's own scan treats them).
const ABSENT = new Set(["ENXIO", "EREMOTEIO", "EIO", "ETIMEDOUT", "EAGAIN"]);
const UNSUPPORTED = new Set(["EOPNOTSUPP", "ENOTSUP", "ENOSYS", "EINVAL"]);

/**
 * Probe like i2cdetect's default mode: SMBus receive-byte at 0x30-0x37 and 0x50-0x5F, where a
 * quick write can wedge some EEPROMs and write-protect them, quick write elsewhere, where a
 * read can lock up some sensors. Falls back to receive-byte if the adapter lacks quick write.
 */
export async function probeI2c(bus: I2cBus, first = FIRST_ADDRESS, last = LAST_ADDRESS): Promise<ScanResult> {
  const result: ScanResult = { found: [], busy: [] };
  let quick = true;
  for (let address = first; address <= last; address++) {
    const readOnly = (address >= 0x30 && address <= 0x37) || (address >= 0x50 && address <= 0x5f);
    let outcome = await probe(bus, address, readOnly || !quick);
    if (outcome === "unsupported" && !readOnly && quick) {
      quick = false;
      outcome = await probe(bus, address, true);
    }
    if (outcome === "found") result.found.push(address);
    else if (outcome === "busy") result.busy.push(address);
  }
  return result;
}

async function probe(bus: I2cBus, address: number, read: boolean): Promise<"found" | "absent" | "busy" | "unsupported"> {
  try {
    if (read) await bus.receiveByte(address);
    else await bus.writeQuick(address, 0);
    return "found";
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "EBUSY") return "busy";
    if (typeof code === "string" && ABSENT.has(code)) return "absent";
    if (!read && typeof code === "string" && UNSUPPORTED.has(code)) return "unsupported";
    throw err; // EACCES, a vanished adapter...: the scan means nothing, say why
  }
}

/** The i2cdetect grid: rows of 16, `--` nobody, the hex address if found, `UU` busy, blank if not probed. */
export function formatI2cGrid(found: number[], options: { busy?: number[]; first?: number; last?: number } = {}): string {
  const { busy = [], first = FIRST_ADDRESS, last = LAST_ADDRESS } = options;
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  const lines = [`   ${Array.from({ length: 16 }, (_, i) => i.toString(16).padStart(3)).join("")}`];
  for (let row = 0; row < 0x80; row += 16) {
    let line = `${hex(row)}:`;
    for (let address = row; address < row + 16; address++) {
      if (address < first || address > last) line += "   ";
      else if (busy.includes(address)) line += " UU";
      else if (found.includes(address)) line += ` ${hex(address)}`;
      else line += " --";
    }
    lines.push(line.trimEnd());
  }
  return lines.join("\n");
}

export async function scanI2cCommand(
  opts: ScanI2cOptions,
  io: Io,
  open: (busNumber: number) => Promise<I2cBus> = openI2cBus,
): Promise<number> {
  const text = opts.bus ?? "1";
  if (!/^\d{1,3}$/.test(text)) {
    io.err(`thingd: scan-i2c: expected a bus number like 1 (for /dev/i2c-1), got "${text}"`);
    return EXIT_USAGE;
  }
  const busNumber = Number(text);
  let bus: I2cBus;
  try {
    bus = await open(busNumber);
  } catch (err) {
    io.err(`thingd: ${(err as Error).message}`);
    return EXIT_FAILURE;
  }
  try {
    const { found, busy } = await probeI2c(bus);
    io.out(formatI2cGrid(found, { busy }));
    const summary = [`${found.length} device${found.length === 1 ? "" : "s"} on /dev/i2c-${busNumber}`];
    if (busy.length > 0) summary.push(`UU: in use by a kernel driver (${busy.map((a) => `0x${a.toString(16)}`).join(", ")})`);
    io.err(summary.join("; "));
    return EXIT_OK;
  } catch (err) {
    io.err(`thingd: scan of /dev/i2c-${busNumber} failed: ${(err as Error).message}`);
    return EXIT_FAILURE;
  } finally {
    await bus.close().catch(() => undefined);
  }
}
