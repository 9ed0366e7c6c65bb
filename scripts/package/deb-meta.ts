// The pure parts of the .deb: architecture names, the control file, the packaged unit, the
// launcher and the changelog. No I/O here, so each piece is unit-tested on its own
// (test/packaging/deb-meta.test.ts); scripts/package/build.ts writes them into the tree.

export type DebArch = "arm64" | "amd64";

/** Where the package puts things (the tests and the README rely on these paths). */
export const LAYOUT = {
  prefix: "/opt/thingd",
  node: "/opt/thingd/node/bin/node",
  app: "/opt/thingd/app",
  entry: "/opt/thingd/app/dist/agent/main.js",
  launcher: "/usr/bin/thingd",
  registryEntry: "/opt/thingd/app/dist/registry/main.js",
  registryLauncher: "/usr/bin/thingd-registry",
  unitDir: "/lib/systemd/system",
  config: "/etc/thingd/sensors.yaml",
  doc: "/usr/share/doc/thingd",
  /** The web console's built files (index.html, console.js, console.css): `thingd console` serves them. */
  console: "/usr/share/thingd/console",
  /** examples/registry.yaml: thingd-registry's configuration, to copy to /etc/thingd-registry/. */
  registryExample: "/usr/share/doc/thingd/examples/registry.yaml",
} as const;

export interface ArchInfo {
  /** npm's `cpu` name (node-linux-<cpu>, --cpu for npm ci, node-gyp --arch). */
  npmCpu: "arm64" | "x64";
  /** GNU triplet of the cross tools ("" = the host's own gcc/strip). */
  toolPrefix: string;
  /** ELF e_machine of the target (EM_AARCH64 183, EM_X86_64 62). */
  elfMachine: number;
  /** serialport's prebuild folder and the file kept in it. */
  serialportPrebuild: { dir: string; file: string };
}

export function archInfo(arch: DebArch): ArchInfo {
  switch (arch) {
    case "arm64":
      return {
        npmCpu: "arm64",
        toolPrefix: "aarch64-linux-gnu-",
        elfMachine: 183,
        serialportPrebuild: { dir: "linux-arm64", file: "@serialport+bindings-cpp.armv8.glibc.node" },
      };
    case "amd64":
      return {
        npmCpu: "x64",
        toolPrefix: "",
        elfMachine: 62,
        serialportPrebuild: { dir: "linux-x64", file: "@serialport+bindings-cpp.glibc.node" },
      };
  }
}

export function parseArch(value: string | undefined): DebArch {
  if (value === "arm64" || value === "amd64") return value;
  throw new Error(`--arch must be arm64 or amd64, not ${value === undefined ? "missing" : `'${value}'`}`);
}

/** Debian's file name for a package: thingd_0.1.0_arm64.deb. */
export function debFileName(version: string, arch: DebArch): string {
  return `thingd_${debVersion(version)}_${arch}.deb`;
}

/** An npm semver as a Debian version: the pre-release separator '-' becomes '~' (sorts before the release). */
export function debVersion(npmVersion: string): string {
  if (!/^\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/.test(npmVersion)) throw new Error(`not a semver version: '${npmVersion}'`);
  return npmVersion.replace("-", "~").replace(/\+/g, ".");
}

export interface ControlFields {
  version: string;
  arch: DebArch;
  /** Sum of the installed files in KiB (dpkg's Installed-Size). */
  installedSizeKiB: number;
  nodeVersion: string;
}

/** Node's official Linux binaries need glibc 2.28 and GLIBCXX_3.4.21 (GCC 5's libstdc++). */
export const DEPENDS = ["libc6 (>= 2.28)", "libstdc++6 (>= 5.2)", "libgcc-s1", "passwd", "init-system-helpers (>= 1.54)"];

export function controlFile(f: ControlFields): string {
  if (!Number.isInteger(f.installedSizeKiB) || f.installedSizeKiB <= 0) throw new Error(`bad Installed-Size ${f.installedSizeKiB}`);
  return [
    "Package: thingd",
    `Version: ${debVersion(f.version)}`,
    `Architecture: ${f.arch}`,
    "Maintainer: thingd maintainers <thingd@localhost>",
    `Installed-Size: ${f.installedSizeKiB}`,
    `Depends: ${DEPENDS.join(", ")}`,
    "Section: net",
    "Priority: optional",
    "Description: XMPP IoT Thing agent for Raspberry Pi and embedded Linux boards",
    " thingd polls the sensors wired to the board (I2C, serial, GPIO, 1-wire,",
    " IIO), registers with a Thing Registry (XEP-0347) so its owner can claim",
    " it, and answers sensor-data readouts (XEP-0323) and control requests",
    " (XEP-0325) over XMPP.",
    " .",
    ` Self-contained: it brings its own Node.js ${f.nodeVersion} runtime.`,
    "",
  ].join("\n");
}

export const CONFFILES: readonly string[] = [LAYOUT.config];

/**
 * The repository's unit runs a system Node and /opt/thingd/dist (the install.sh layout); the
 * package's runs its own runtime and app. Fails if ExecStart is not the expected shape, so a
 * changed unit is noticed here rather than shipped with a path that does not exist.
 */
export function packagedUnit(unit: string): string {
  const from = /^ExecStart=\/usr\/bin\/node \/opt\/thingd\/dist\/agent\/main\.js (run .*)$/m;
  const m = from.exec(unit);
  if (!m)
    throw new Error("systemd/thingd.service: ExecStart is not '/usr/bin/node /opt/thingd/dist/agent/main.js run ...'; update scripts/package/deb-meta.ts");
  return unit.replace(from, `ExecStart=${LAYOUT.node} ${LAYOUT.entry} ${m[1]}`);
}

/** /usr/bin/thingd: the CLI with the bundled runtime, whatever node is on the PATH. */
export function launcherScript(): string {
  return `#!/bin/sh\n# thingd's launcher (Debian package): the bundled Node.js runs the bundled app.\nexec ${LAYOUT.node} ${LAYOUT.entry} "$@"\n`;
}

/** /usr/bin/thingd-registry: the Thing Registry's CLI, with the same runtime and app. */
export function registryLauncherScript(): string {
  return `#!/bin/sh\n# thingd-registry's launcher (Debian package): the bundled Node.js runs the bundled app.\nexec ${LAYOUT.node} ${LAYOUT.registryEntry} "$@"\n`;
}

/**
 * systemd/thingd-registry.service for the package: ExecStart on the bundled runtime and app. The
 * package installs it but does not enable it (postinst); the admin writes the configuration first.
 */
export function packagedRegistryUnit(unit: string): string {
  const from = /^ExecStart=\/usr\/bin\/node \/opt\/thingd\/dist\/registry\/main\.js (run .*)$/m;
  const m = from.exec(unit);
  if (!m)
    throw new Error(
      "systemd/thingd-registry.service: ExecStart is not '/usr/bin/node /opt/thingd/dist/registry/main.js run ...'; update scripts/package/deb-meta.ts",
    );
  return unit.replace(from, `ExecStart=${LAYOUT.node} ${LAYOUT.registryEntry} ${m[1]}`);
}

/** The example sensor map as /etc/thingd/sensors.yaml: its editor schema line points at the installed schema. */
export function packagedSensorMap(example: string): string {
  const out = example.replace("$schema=../schema/", `$schema=${LAYOUT.app}/schema/`);
  if (out === example) throw new Error("examples/sensors.yaml: no '$schema=../schema/' line to point at the installed schema");
  return out;
}

/** A minimal Debian changelog (native package), dated SOURCE_DATE_EPOCH so the build stays reproducible. */
export function changelog(version: string, epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000).toUTCString().replace(/GMT$/, "+0000");
  return `thingd (${debVersion(version)}) unstable; urgency=medium\n\n  * Release ${version}.\n\n -- thingd maintainers <thingd@localhost>  ${date}\n`;
}

/** dpkg's md5sums: "<md5>  <path without leading slash>", sorted by path. */
export function md5sumsFile(entries: ReadonlyArray<{ path: string; md5: string }>): string {
  return [...entries]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((e) => `${e.md5}  ${e.path.replace(/^\/+/, "")}\n`)
    .join("");
}

/** ELF e_machine of a file's first bytes, or undefined if it is not ELF. */
export function elfMachine(head: Uint8Array): number | undefined {
  if (head.length < 20 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) return undefined;
  const little = head[5] === 1;
  return little ? head[18]! | (head[19]! << 8) : (head[18]! << 8) | head[19]!;
}
