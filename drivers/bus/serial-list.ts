// Which serial ports this machine has, for `thingd list-serial`: what serialport enumerates
// (udev on Linux) plus the stable names a sensor map should use instead of ttyAMA0/ttyUSB0,
// whose numbering changes with the Pi model, the overlay and the plug order: the Pi's
// /dev/serial0 (the UART on GPIO14/15) and /dev/serial1 links, and /dev/serial/by-id/*.
import { readdir, realpath } from "node:fs/promises";
import path from "node:path";

export interface SerialPortEntry {
  /** Device node, or the link a sensor map can name. */
  path: string;
  /** Where a link points (fs.realpath); absent for device nodes. */
  target?: string;
  manufacturer?: string;
  serialNumber?: string;
  /** USB ids in hex, as udev gives them ("10c4"). */
  vendorId?: string;
  productId?: string;
}

/** What we use of serialport's PortInfo. */
export interface PortInfo {
  path: string;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
}

export interface ListSerialOptions {
  /** Tests point it at a temp folder holding fake links. */
  devDir?: string;
  /** serialport's enumeration; tests replace it. */
  list?: () => Promise<PortInfo[]>;
}

async function serialportList(): Promise<PortInfo[]> {
  let mod: typeof import("serialport");
  try {
    mod = await import("serialport");
  } catch (err) {
    throw new Error(`cannot load the serialport module: ${(err as Error).message}`, { cause: err });
  }
  return mod.SerialPort.list();
}

export interface SerialPortList {
  entries: SerialPortEntry[];
  /** Why serialport could not enumerate (e.g. no udevadm in a container); the links are still listed. */
  error?: string;
}

/** Links first (the names to use), then every enumerated device node, each once. */
export async function listSerialPorts(options: ListSerialOptions = {}): Promise<SerialPortList> {
  const devDir = options.devDir ?? "/dev";
  let ports: PortInfo[] = [];
  let error: string | undefined;
  try {
    ports = await (options.list ?? serialportList)();
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const info = new Map(ports.map((p) => [p.path, p]));
  const links = [path.join(devDir, "serial0"), path.join(devDir, "serial1"), ...(await byId(path.join(devDir, "serial", "by-id")))];
  const entries: SerialPortEntry[] = [];
  for (const link of links) {
    let target: string;
    try {
      target = await realpath(link);
    } catch {
      continue; // absent (no such UART) or dangling: nothing to open there
    }
    entries.push({ path: link, target, ...details(info.get(target)) });
  }
  for (const p of [...ports].sort((a, b) => a.path.localeCompare(b.path, "en", { numeric: true }))) {
    entries.push({ path: p.path, ...details(p) });
  }
  return { entries, ...(error !== undefined ? { error } : {}) };
}

async function byId(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort().map((n) => path.join(dir, n));
  } catch {
    return []; // no USB serial adapter plugged in
  }
}

function details(p: PortInfo | undefined): Omit<SerialPortEntry, "path" | "target"> {
  if (!p) return {};
  return {
    ...(p.manufacturer ? { manufacturer: p.manufacturer } : {}),
    ...(p.serialNumber ? { serialNumber: p.serialNumber } : {}),
    ...(p.vendorId ? { vendorId: p.vendorId } : {}),
    ...(p.productId ? { productId: p.productId } : {}),
  };
}
