#!/usr/bin/env node
// Entry point of the `thingd` binary: wiring only. Runs the single-file bundle
// (dist/thingd.bundle.mjs, made by `npm run build`, scripts/bundle.ts) when it is at least as new
// as dist/agent/cli.js, else the modules tsc emitted: a bundle older than the last `tsc` would be
// stale code. THINGD_NO_BUNDLE=1 forces the modules (e.g. for stack traces into dist/agent/).
import { statSync } from "node:fs";

const BUNDLE = new URL("../thingd.bundle.mjs", import.meta.url);

function bundleIsCurrent(): boolean {
  if (process.env.THINGD_NO_BUNDLE) return false;
  try {
    return statSync(BUNDLE).mtimeMs >= statSync(new URL("./cli.js", import.meta.url)).mtimeMs;
  } catch {
    return false;
  }
}

const { main } = (await import(bundleIsCurrent() ? BUNDLE.href : "./cli.js")) as typeof import("./cli.js");

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
