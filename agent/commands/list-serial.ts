// `thingd list-serial [--json]`: the serial ports a sensor map can name, stable links first
// (/dev/serial0 is the Pi's header UART whatever the model; /dev/serial/by-id/* survives
// replugging a USB adapter into another port). Exit codes: 0 listed (even none), 1 the ports
// could not be enumerated (the links found are still printed).
import type { Io } from "./io.js";
import { EXIT_FAILURE, EXIT_OK } from "../errors.js";
import { listSerialPorts, type SerialPortEntry, type SerialPortList } from "../../drivers/bus/serial-list.js";
import { formatTable } from "./table.js";

export interface ListSerialOptions {
  json?: boolean;
}

export const NO_SERIAL_PORTS =
  'no serial ports found. For the Pi\'s UART (GPIO14/15): "sudo raspi-config nonint do_serial_hw 0" and ' +
  '"sudo raspi-config nonint do_serial_cons 1" (hardware on, no login console), then reboot; it shows as /dev/serial0';

export function formatSerialPorts(entries: readonly SerialPortEntry[]): string {
  if (entries.length === 0) return NO_SERIAL_PORTS;
  const rows = [["PATH", "TARGET", "MANUFACTURER", "SERIAL", "VID:PID"]];
  for (const e of entries) {
    const ids = e.vendorId || e.productId ? `${e.vendorId ?? "?"}:${e.productId ?? "?"}` : "-";
    rows.push([e.path, e.target ?? "-", e.manufacturer ?? "-", e.serialNumber ?? "-", ids]);
  }
  return formatTable(rows);
}

export async function listSerialCommand(
  opts: ListSerialOptions,
  io: Io,
  list: () => Promise<SerialPortList> = listSerialPorts,
): Promise<number> {
  let result: SerialPortList;
  try {
    result = await list();
  } catch (err) {
    io.err(`thingd: cannot list serial ports: ${(err as Error).message}`);
    return EXIT_FAILURE;
  }
  const { entries, error } = result;
  if (error !== undefined) io.err(`thingd: cannot enumerate serial ports (${error}); showing the links only`);
  if (opts.json) io.out(JSON.stringify(entries, null, 2));
  else if (entries.length > 0 || error === undefined) io.out(formatSerialPorts(entries));
  return error === undefined ? EXIT_OK : EXIT_FAILURE;
}
