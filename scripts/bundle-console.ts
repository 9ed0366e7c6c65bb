// `npm run build` step 3: the web console (console/) bundled for the browser into dist/console/:
// index.html, console.js (the app, @xmpp/client's WebSocket transport, uPlot), console.css, and
// chunk-*.js: the jsQR decoder, fetched on the first QR scan (import()), and what esbuild
// shares between it and console.js (loaded at start).
// platform "browser": a Node built-in pulled in by an import is a build error here, not a
// surprise in the browser (the agent/protocol modules the console reuses must stay pure).
import { copyFile, mkdir, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Plugin } from "esbuild";

// The same paths whether this runs from dist/scripts/ (npm run build) or from scripts/ (tests).
const ROOT = fileURLToPath(new URL(import.meta.url.includes("/dist/scripts/") ? "../../" : "../", import.meta.url));
export const CONSOLE_SRC = path.join(ROOT, "console");
export const CONSOLE_DIST = path.join(ROOT, "dist", "console");

/**
 * @xmpp/resolve (SRV lookups, which the console never does: it is given the WebSocket URL) imports
 * "node:dns" from a file its package.json's browser map names without the ".js" it is imported
 * with, so the map does not apply. This one module, and only it, becomes an empty object.
 */
const emptyNodeDns: Plugin = {
  name: "empty-node-dns",
  setup(b) {
    b.onResolve({ filter: /^node:dns$/ }, (args) => (args.importer.includes(`${path.sep}@xmpp${path.sep}resolve${path.sep}`) ? { path: "node:dns", namespace: "empty" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export default {};", loader: "js" }));
  },
};

export interface ConsoleBundle {
  files: string[];
  /** Bytes of each file, raw and gzipped (level 9). */
  sizes: Record<string, { raw: number; gzip: number }>;
  /** What the page loads at start: index.html, console.js, console.css and the chunks console.js imports. */
  start: string[];
  /** Chunks loaded on demand only (the rest of `files`). */
  lazy: string[];
}

export async function bundleConsole(outdir: string = CONSOLE_DIST): Promise<ConsoleBundle> {
  // tsc (step 1) also emits console/src/*.js here, for the tests that import them: not shipped.
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: { console: path.join(CONSOLE_SRC, "src", "main.ts") },
    outdir,
    bundle: true,
    platform: "browser",
    format: "esm",
    splitting: true,
    chunkNames: "chunk-[hash]",
    target: ["chrome110", "firefox115", "safari16"],
    minify: true,
    sourcemap: false,
    legalComments: "none",
    plugins: [emptyNodeDns],
    logLevel: "warning",
  });
  await build({ entryPoints: { console: path.join(CONSOLE_SRC, "style.css") }, outdir, bundle: true, minify: true, logLevel: "warning" });
  await copyFile(path.join(CONSOLE_SRC, "index.html"), path.join(outdir, "index.html"));
  const chunks = (await readdir(outdir)).filter((f) => /^chunk-.*\.js$/.test(f)).sort();
  const main = await readFile(path.join(outdir, "console.js"), "utf8");
  const shared = chunks.filter((c) => main.includes(`from"./${c}"`) || main.includes(`from "./${c}"`));
  const start = ["index.html", "console.js", "console.css", ...shared];
  const lazy = chunks.filter((c) => !shared.includes(c));
  const files = [...start, ...lazy];
  const sizes: ConsoleBundle["sizes"] = {};
  for (const f of files) {
    const data = await readFile(path.join(outdir, f));
    sizes[f] = { raw: data.length, gzip: gzipSync(data, { level: 9 }).length };
  }
  return { files, sizes, start, lazy };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { sizes, start } = await bundleConsole();
  const total = Object.values(sizes).reduce((a, s) => a + s.gzip, 0);
  const atStart = start.reduce((a, f) => a + (sizes[f]?.gzip ?? 0), 0);
  console.log(
    `console bundled into ${CONSOLE_DIST}: ${Object.entries(sizes).map(([f, s]) => `${f} ${(s.raw / 1024).toFixed(1)} KiB (${(s.gzip / 1024).toFixed(1)} KiB gz)`).join(", ")}; ${(atStart / 1024).toFixed(1)} KiB gzipped at start, ${(total / 1024).toFixed(1)} KiB in all`,
  );
}
