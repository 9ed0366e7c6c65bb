// What a command writes to: stdout/stderr lines, swapped for arrays in tests. A leaf module, so
// the commands and cli.ts (which imports them) need not import each other.
import type { ConfigError } from "../errors.js";

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** "thingd: invalid config (N problems):" then every problem (file:line:col path: message). */
export function printConfigError(io: Io, err: ConfigError): void {
  const n = err.problems.length || 1;
  io.err(`thingd: invalid config (${n} problem${n === 1 ? "" : "s"}):`);
  io.err(err.message);
}
