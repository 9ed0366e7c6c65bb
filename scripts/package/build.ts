// `npm run package -- --arch arm64|amd64 [--out DIR] [--no-lintian]`: builds
// release/thingd_<version>_<arch>.deb on an amd64 machine (docs/packaging.md):
//   1. the Node.js runtime for the target (npm's node-linux-<cpu>, fetch-node.sh), stripped;
//   2. the app (dist/ as `npm run build` made it) with its production dependencies, installed
//      for the target cpu (npm ci --cpu), the gyp addons compiled for it (cross gcc for arm64),
//      other platforms' prebuilt binaries pruned, every ELF file checked to be the target's;
//   3. launcher, unit, conffile, docs, maintainer scripts; modes and mtimes normalised;
//   4. dpkg-deb with SOURCE_DATE_EPOCH (default: the last commit's time), so two builds of a
//      commit are byte-identical; then lintian.
import { execFileSync, type ExecFileSyncOptions } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  closeSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import {
  archInfo,
  changelog,
  CONFFILES,
  controlFile,
  debFileName,
  elfMachine,
  LAYOUT,
  launcherScript,
  md5sumsFile,
  packagedSensorMap,
  packagedRegistryUnit,
  packagedUnit,
  parseArch,
  registryLauncherScript,
  type ArchInfo,
  type DebArch,
} from "./deb-meta.js";
import { APP_ENTRIES, CONSOLE_FILES, GYP_ADDONS, isConsoleFile, keepDistFile, pruneModulePath } from "./file-list.js";

/** The runtime major shipped in the package (the pinned version is in node-runtimes.tsv). */
export const RUNTIME_MAJOR = "24";

// The same paths from dist/scripts/package/ (npm run package) and scripts/package/ (tests).
const REPO = fileURLToPath(new URL(import.meta.url.includes("/dist/scripts/") ? "../../../" : "../../", import.meta.url));
const SOURCES = path.join(REPO, "scripts/package");

export interface BuildOptions {
  arch: DebArch;
  outDir: string;
  lintian: boolean;
}

export interface BuildResult {
  deb: string;
  debBytes: number;
  installedKiB: number;
  lintian: string;
}

const started = Date.now();
function log(msg: string): void {
  process.stderr.write(`package: [${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);
}

function run(cmd: string, args: readonly string[], opts: ExecFileSyncOptions = {}): string {
  const out = execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "inherit"], ...opts });
  return typeof out === "string" ? out : (out?.toString("utf8") ?? "");
}

function requireTool(tool: string, debianPackage: string): void {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
  } catch {
    throw new Error(`'${tool}' not found: sudo apt-get install -y ${debianPackage}`);
  }
}

/** SOURCE_DATE_EPOCH from the environment, else the last commit's time. */
export function sourceDateEpoch(): number {
  const fromEnv = process.env.SOURCE_DATE_EPOCH;
  const value = fromEnv ?? run("git", ["-C", REPO, "log", "-1", "--format=%ct"]).trim();
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`SOURCE_DATE_EPOCH '${value}' is not a positive integer`);
  return n;
}

/** npm and its bundled node-gyp: the ones running this script (npm run), else npm on the PATH. */
function npmCommand(): { npm: [string, ...string[]]; nodeGyp: string } {
  const execpath = process.env.npm_execpath;
  // npm on the PATH is a link to <npm>/bin/npm-cli.js.
  const cli = execpath ?? realpathSync(run("sh", ["-c", "command -v npm"]).trim());
  const npmRoot = path.dirname(path.dirname(cli));
  const nodeGyp = path.join(npmRoot, "node_modules/node-gyp/bin/node-gyp.js");
  if (!existsSync(nodeGyp)) throw new Error(`node-gyp not found at ${nodeGyp} (npm's bundled copy)`);
  return { npm: [process.execPath, path.join(npmRoot, "bin/npm-cli.js")], nodeGyp };
}

function* walk(dir: string, rel = ""): Generator<{ abs: string; rel: string; isDir: boolean }> {
  for (const name of readdirSync(dir).sort()) {
    const abs = path.join(dir, name);
    const r = rel ? `${rel}/${name}` : name;
    const isDir = lstatSync(abs).isDirectory();
    yield { abs, rel: r, isDir };
    if (isDir) yield* walk(abs, r);
  }
}

function stripBinary(arch: ArchInfo, args: string[]): void {
  run(`${arch.toolPrefix}strip`, args);
}

function installRuntime(arch: ArchInfo, runtime: string, root: string): string {
  run("bash", [path.join(SOURCES, "fetch-node.sh"), RUNTIME_MAJOR, arch.npmCpu, runtime], { stdio: ["ignore", "inherit", "inherit"] });
  const nodeDir = path.join(root, path.dirname(path.dirname(LAYOUT.node)));
  mkdirSync(path.join(nodeDir, "bin"), { recursive: true });
  // --strip-all keeps .dynsym (the N-API and V8 symbols addons link against); only the debug
  // info and the static symbol table go: 123 MB -> 103 MB.
  stripBinary(arch, ["--strip-all", "-o", path.join(root, LAYOUT.node), path.join(runtime, "bin/node")]);
  copyFileSync(path.join(runtime, "LICENSE"), path.join(nodeDir, "LICENSE"));
  return (JSON.parse(readFileSync(path.join(runtime, "package.json"), "utf8")) as { version: string }).version;
}

function installApp(arch: ArchInfo, runtime: string, root: string): void {
  if (!existsSync(path.join(REPO, "dist/thingd.bundle.mjs"))) throw new Error("dist/ is not built: npm run build (npm run package does it)");
  const app = path.join(root, LAYOUT.app);
  mkdirSync(app, { recursive: true });
  for (const entry of APP_ENTRIES) {
    cpSync(path.join(REPO, entry), path.join(app, entry), {
      recursive: true,
      filter: (src) => {
        const rel = path.relative(REPO, src).split(path.sep).join("/");
        return entry !== "dist" || rel === "dist" || statSync(src).isDirectory() || keepDistFile(rel);
      },
    });
  }
  const { npm, nodeGyp } = npmCommand();
  const env = { ...process.env, npm_config_nodedir: runtime };
  // --ignore-scripts: nothing of the target's runs on the build machine; the gyp addons are
  // built below, the others ship prebuilt binaries. --cpu picks koffi's package for the target.
  log(`npm ci --omit=dev for linux-${arch.npmCpu}`);
  run(
    npm[0],
    [
      ...npm.slice(1),
      "ci",
      "--omit=dev",
      "--ignore-scripts",
      "--os=linux",
      `--cpu=${arch.npmCpu}`,
      "--libc=glibc",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
    ],
    {
      cwd: app,
      env,
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  const cross = arch.toolPrefix ? { CC: `${arch.toolPrefix}gcc`, CXX: `${arch.toolPrefix}g++`, LINK: `${arch.toolPrefix}g++`, AR: `${arch.toolPrefix}ar` } : {};
  if (arch.toolPrefix) requireTool(`${arch.toolPrefix}g++`, "g++-aarch64-linux-gnu");
  for (const addon of GYP_ADDONS) {
    const dir = path.join(app, "node_modules", addon.pkg);
    log(`node-gyp rebuild ${addon.pkg} --arch=${arch.npmCpu}`);
    run(process.execPath, [nodeGyp, "rebuild", "--release", "--loglevel=warn", `--arch=${arch.npmCpu}`, `--nodedir=${runtime}`, "--jobs=2"], {
      cwd: dir,
      env: { ...env, ...cross },
      stdio: ["ignore", "ignore", "inherit"],
    });
    stripBinary(arch, ["--strip-unneeded", path.join(dir, addon.output)]);
  }
  for (const f of [...walk(app)].reverse()) {
    if (pruneModulePath(f.rel, arch)) rmSync(f.abs, { recursive: true, force: true });
  }
}

/** Every ELF file in the tree must be for the target: a host binary would fail only on the board. */
function checkElfMachines(arch: ArchInfo, root: string): void {
  const wrong: string[] = [];
  const head = Buffer.alloc(20);
  for (const f of walk(root)) {
    if (f.isDir || !lstatSync(f.abs).isFile()) continue;
    const fd = openSync(f.abs, "r");
    const n = readSync(fd, head, 0, 20, 0);
    closeSync(fd);
    const m = elfMachine(head.subarray(0, n));
    if (m !== undefined && m !== arch.elfMachine) wrong.push(`${f.rel} (e_machine ${m})`);
  }
  if (wrong.length) throw new Error(`ELF files for another architecture (want e_machine ${arch.elfMachine}):\n  ${wrong.join("\n  ")}`);
}

function writeFile(root: string, abs: string, content: string | Buffer, mode: number): void {
  const file = path.join(root, abs);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, mode);
}

function installSystemFiles(root: string, version: string, epoch: number): void {
  writeFile(root, LAYOUT.launcher, launcherScript(), 0o755);
  writeFile(root, `${LAYOUT.unitDir}/thingd.service`, packagedUnit(readFileSync(path.join(REPO, "systemd/thingd.service"), "utf8")), 0o644);
  // thingd-registry: launcher, unit (installed, not enabled: postinst) and its example configuration.
  writeFile(root, LAYOUT.registryLauncher, registryLauncherScript(), 0o755);
  writeFile(
    root,
    `${LAYOUT.unitDir}/thingd-registry.service`,
    packagedRegistryUnit(readFileSync(path.join(REPO, "systemd/thingd-registry.service"), "utf8")),
    0o644,
  );
  writeFile(root, LAYOUT.registryExample, readFileSync(path.join(REPO, "examples/registry.yaml")), 0o644);
  // The web console: `thingd console` finds it here (agent/commands/console.ts).
  const consoleDist = path.join(REPO, "dist/console");
  for (const f of CONSOLE_FILES) {
    if (!existsSync(path.join(consoleDist, f))) throw new Error(`${path.join(consoleDist, f)} is missing: npm run build (npm run package does it)`);
  }
  for (const f of readdirSync(consoleDist).filter(isConsoleFile).sort()) {
    writeFile(root, `${LAYOUT.console}/${f}`, readFileSync(path.join(consoleDist, f)), 0o644);
  }
  // 0640 root:root here; postinst gives it to group thingd (the group does not exist at unpack).
  writeFile(root, LAYOUT.config, packagedSensorMap(readFileSync(path.join(REPO, "examples/sensors.yaml"), "utf8")), 0o640);
  writeFile(root, `${LAYOUT.doc}/copyright`, readFileSync(path.join(SOURCES, "debian/copyright")), 0o644);
  writeFile(root, `${LAYOUT.doc}/changelog.gz`, gzipSync(changelog(version, epoch), { level: 9 }), 0o644);
  writeFile(root, "/usr/share/lintian/overrides/thingd", readFileSync(path.join(SOURCES, "debian/lintian-overrides")), 0o644);
}

/**
 * Executable: the runtime and the launcher. Not node_modules' scripts (they run through the
 * bundled node, and an executable `#!/usr/bin/env node` would claim a dependency on Debian's
 * nodejs), nor shared objects (.node addons are loaded, not run).
 */
function executable(rel: string, mode: number): boolean {
  if (rel.endsWith(".node") || rel.startsWith("opt/thingd/app/node_modules/")) return false;
  return (mode & 0o111) !== 0;
}

/** Modes as dpkg expects (0755 dirs and executables, 0644 the rest, conffile kept) and every mtime = epoch. */
function normalise(root: string, epoch: number): number {
  let kib = 0;
  const keepMode = new Set(CONFFILES.map((c) => c.replace(/^\//, "")));
  for (const f of [...walk(root)].reverse()) {
    const st = lstatSync(f.abs);
    if (st.isSymbolicLink()) {
      kib += 1;
    } else if (f.isDir) {
      chmodSync(f.abs, 0o755);
      kib += 1;
    } else {
      if (!keepMode.has(f.rel)) chmodSync(f.abs, executable(f.rel, st.mode) ? 0o755 : 0o644);
      kib += Math.ceil(st.size / 1024);
    }
    lutimesSync(f.abs, epoch, epoch);
  }
  lutimesSync(root, epoch, epoch);
  return kib;
}

function writeControl(root: string, fields: { version: string; arch: DebArch; nodeVersion: string; installedKiB: number }, epoch: number): void {
  const md5s: Array<{ path: string; md5: string }> = [];
  for (const f of walk(root)) {
    if (f.isDir || !lstatSync(f.abs).isFile() || CONFFILES.includes(`/${f.rel}`)) continue;
    md5s.push({ path: f.rel, md5: createHash("md5").update(readFileSync(f.abs)).digest("hex") });
  }
  const debian = path.join(root, "DEBIAN");
  mkdirSync(debian);
  writeFile(root, "/DEBIAN/control", controlFile({ ...fields, installedSizeKiB: fields.installedKiB }), 0o644);
  writeFile(root, "/DEBIAN/conffiles", CONFFILES.map((c) => `${c}\n`).join(""), 0o644);
  writeFile(root, "/DEBIAN/md5sums", md5sumsFile(md5s), 0o644);
  for (const script of ["postinst", "prerm", "postrm"]) {
    writeFile(root, `/DEBIAN/${script}`, readFileSync(path.join(SOURCES, "debian", script)), 0o755);
  }
  for (const f of walk(debian)) lutimesSync(f.abs, epoch, epoch);
  lutimesSync(debian, epoch, epoch);
}

export function buildDeb(o: BuildOptions): BuildResult {
  requireTool("dpkg-deb", "dpkg");
  const arch = archInfo(o.arch);
  requireTool(`${arch.toolPrefix}strip`, arch.toolPrefix ? "binutils-aarch64-linux-gnu" : "binutils");
  const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string };
  const epoch = sourceDateEpoch();
  const outDir = path.resolve(REPO, o.outDir);
  // A fixed work path per arch: compiler output and npm's files must not depend on a temp name.
  const work = path.join(outDir, ".work", o.arch);
  const root = path.join(work, "root");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const runtime = path.join(REPO, ".cache/node", `${RUNTIME_MAJOR}-${arch.npmCpu}`);

  log(`Node.js ${RUNTIME_MAJOR} runtime for ${arch.npmCpu}`);
  const nodeVersion = installRuntime(arch, runtime, root);
  installApp(arch, runtime, root);
  installSystemFiles(root, pkg.version, epoch);
  checkElfMachines(arch, root);
  log("modes, mtimes, control files");
  const installedKiB = normalise(root, epoch);
  writeControl(root, { version: pkg.version, arch: o.arch, nodeVersion, installedKiB }, epoch);

  const deb = path.join(outDir, debFileName(pkg.version, o.arch));
  log(`dpkg-deb --build -> ${deb}`);
  // --threads-max=2, not 1 nor "all cores": liblzma's multi-threaded encoder cuts the input into
  // the same blocks whatever the thread count, so its output is the same on any machine; the
  // single-threaded encoder (1) gives other bytes and takes twice as long on a 2-core runner.
  run("dpkg-deb", ["--root-owner-group", "-Zxz", "--threads-max=2", "--build", root, deb], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  rmSync(work, { recursive: true, force: true });

  let lintian = "";
  if (o.lintian) {
    requireTool("lintian", "lintian");
    log("lintian");
    try {
      lintian = run("lintian", ["--fail-on", "error", "--tag-display-limit", "0", deb], { stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(
        `lintian reports errors (fix them, or override them with a reason in scripts/package/debian/lintian-overrides and docs/packaging.md):\n${e.stdout ?? ""}${e.stderr ?? ""}`,
      );
    }
  }
  return { deb, debBytes: statSync(deb).size, installedKiB, lintian };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: { arch: { type: "string" }, out: { type: "string", default: "release" }, "no-lintian": { type: "boolean", default: false } },
  });
  const r = buildDeb({ arch: parseArch(values.arch), outDir: values.out, lintian: !values["no-lintian"] });
  if (r.lintian.trim()) process.stdout.write(r.lintian);
  process.stdout.write(`${path.relative(process.cwd(), r.deb)}: ${(r.debBytes / 1e6).toFixed(1)} MB, installed ${(r.installedKiB / 1024).toFixed(1)} MiB\n`);
}
