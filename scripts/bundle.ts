// `npm run build` step 2: bundle the CLI (dist/agent/cli.js and everything it imports) into one
// file, dist/thingd.bundle.mjs, which dist/agent/main.js runs when it is current. Why: Node's ESM
// loader pays per module (resolve, read, compile), and `thingd run` loads ~250 of them (zod
// alone is 95); one file halves start-up (docs/benchmarks.md, "start → online").
// Kept external (loaded from node_modules at run time):
//   - native or optional modules, loaded lazily by the bus layer or sd-notify: serialport,
//     i2c-bus, onoff, koffi;
//   - sasl-scram-sha-1: agent/transport/fast-pbkdf2.ts patches its exports through require(),
//     which must be the same module instance @xmpp/sasl-scram-sha-1 uses;
//   - qrcode-terminal: only needed while unclaimed.
import { statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";

export const BUNDLE_EXTERNALS = ["serialport", "@serialport/*", "i2c-bus", "onoff", "koffi", "sasl-scram-sha-1", "qrcode-terminal"];
// The same paths whether this runs from dist/scripts/ (npm run build) or from scripts/ (tests).
const DIST = fileURLToPath(new URL(import.meta.url.includes("/dist/scripts/") ? "../" : "../dist/", import.meta.url));
const ENTRY = path.join(DIST, "agent/cli.js");
export const BUNDLE_FILE = path.join(DIST, "thingd.bundle.mjs");

/** Bundles dist/agent/cli.js into `outfile` (must sit directly in dist/: version.ts and createRequire resolve from it). */
export async function bundleThingd(outfile: string = BUNDLE_FILE): Promise<Metafile> {
  const result = await build({
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: BUNDLE_EXTERNALS,
    // CommonJS dependencies (pino, ltx, ...) call require(); give the ESM bundle one.
    banner: { js: 'import { createRequire as __thingdCreateRequire } from "node:module"; const require = __thingdCreateRequire(import.meta.url);' },
    metafile: true,
    logLevel: "warning",
  });
  return result.metafile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const meta = await bundleThingd();
  console.log(`bundled ${Object.keys(meta.inputs).length} modules into ${BUNDLE_FILE} (${Math.round(statSync(BUNDLE_FILE).size / 1024)} KiB)`);
}
