#!/usr/bin/env node
// Entry point of the `thingd` binary: wiring only.
import { main } from "./cli.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let pino flush, then exit even if a socket or timer is still referenced.
    setImmediate(() => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`thingd: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
