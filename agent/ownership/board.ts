// Board identity for the SN meta tag (docs/protocol.md §2.3): the Pi's CPU serial, else the
// device-tree serial number, else the systemd machine id. Paths are parameters for tests.
import { readFileSync } from "node:fs";

export interface BoardPaths {
  cpuinfo: string;
  dtSerial: string;
  machineId: string;
}

export const DEFAULT_BOARD_PATHS: BoardPaths = {
  cpuinfo: "/proc/cpuinfo",
  dtSerial: "/sys/firmware/devicetree/base/serial-number",
  machineId: "/etc/machine-id",
};

function read(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

export function boardSerial(paths: BoardPaths = DEFAULT_BOARD_PATHS): string | undefined {
  const cpu = read(paths.cpuinfo)?.match(/^Serial\s*:\s*([0-9a-fA-F]+)\s*$/m)?.[1];
  if (cpu && !/^0+$/.test(cpu)) return cpu.toLowerCase();
  const dt = read(paths.dtSerial)?.replace(/\0/g, "").trim();
  if (dt) return dt;
  const mid = read(paths.machineId)?.trim();
  return mid || undefined;
}
