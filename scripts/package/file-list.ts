// Which files of the checkout and of the production node_modules go into the package. Pure
// predicates over relative paths (POSIX separators), unit-tested in test/packaging/file-list.test.ts.
import type { ArchInfo } from "./deb-meta.js";

/** Top-level entries of the checkout copied to /opt/thingd/app (dist/ is filtered by keepDistFile). */
export const APP_ENTRIES = ["package.json", "package-lock.json", "README.md", "dist", "schema", "examples"] as const;

/**
 * dist/ without the compiled tests and dev scripts (they need the dev dependencies) and without
 * source maps (they point at .ts sources that are not shipped). dist/registry/ is thingd-registry.
 * dist/console/ goes to /usr/share/thingd/console instead (CONSOLE_FILES).
 */
export function keepDistFile(rel: string): boolean {
  if (rel.endsWith(".map")) return false;
  return rel === "dist/thingd.bundle.mjs" || rel.startsWith("dist/agent/") || rel.startsWith("dist/drivers/") || rel.startsWith("dist/registry/");
}

/** The built web console's files that must be there (scripts/bundle-console.ts). */
export const CONSOLE_FILES = ["index.html", "console.js", "console.css"] as const;

/**
 * Which files of dist/console ship in /usr/share/thingd/console: CONSOLE_FILES and the chunks
 * esbuild splits off (chunk-<hash>.js, e.g. the QR decoder loaded on the first scan).
 */
export function isConsoleFile(name: string): boolean {
  return (CONSOLE_FILES as readonly string[]).includes(name) || /^chunk-[A-Za-z0-9_-]+\.js$/.test(name);
}

/** The native addons compiled for the target with node-gyp (no prebuilt binaries upstream). */
export const GYP_ADDONS = [
  { pkg: "i2c-bus", output: "build/Release/i2c.node" },
  { pkg: "epoll", output: "build/Release/epoll.node" },
] as const;

/** Files of a package's repository that npm publishes by accident (lintian flags some). */
const DEV_FILES = new Set([
  ".npmignore",
  ".gitattributes",
  ".gitignore",
  ".gitmodules",
  ".travis.yml",
  ".eslintrc",
  ".eslintrc.json",
  ".editorconfig",
  ".prettierrc",
  "index.html",
]);
const PACKAGE_DEV_DIRS = new Set(["test", "tests", "__tests__", "example", "examples", "integration-test", "benchmarks", ".github"]);

/**
 * True for a path under node_modules/ that must not ship for this target: serialport's prebuilt
 * binaries for other platforms (and musl), node-gyp's build intermediates (only the .node stays).
 */
export function pruneModulePath(rel: string, arch: ArchInfo): boolean {
  if (!rel.startsWith("node_modules/")) return false;
  // npm's command links: the package runs its modules through /usr/bin/thingd, never a .bin.
  if (rel === "node_modules/.bin") return true;
  const base = rel.slice(rel.lastIndexOf("/") + 1);
  if (DEV_FILES.has(base)) return true;
  // A package's own tests, examples and docs site: never loaded at run time.
  const m = /^node_modules\/(?:@[^/]+\/)?[^/]+\/([^/]+)$/.exec(rel);
  if (m && PACKAGE_DEV_DIRS.has(m[1]!)) return true;
  const prebuilds = "node_modules/@serialport/bindings-cpp/prebuilds/";
  if (rel.startsWith(prebuilds)) {
    const rest = rel.slice(prebuilds.length);
    const [dir, file] = rest.split("/");
    if (dir !== arch.serialportPrebuild.dir) return true;
    return file !== undefined && file !== arch.serialportPrebuild.file;
  }
  // koffi's prebuilt package for the target carries a glibc and a musl build; Debian is glibc.
  if (rel.startsWith(`node_modules/@koromix/koffi-linux-${arch.npmCpu}/musl_`)) return true;
  for (const addon of GYP_ADDONS) {
    const build = `node_modules/${addon.pkg}/build`;
    if (rel === build || !rel.startsWith(`${build}/`)) continue;
    const keep = `node_modules/${addon.pkg}/${addon.output}`;
    return !(keep === rel || keep.startsWith(`${rel}/`));
  }
  return false;
}
