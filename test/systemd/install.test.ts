// systemd/install.sh and uninstall.sh, run for real against this checkout into a throwaway
// system root (--root): the shadow tools create the user and groups in its etc/passwd and
// etc/group, and one run does the real `npm ci --omit=dev`, so the installed app is proven to
// start with production dependencies only. Needs root (useradd --root chroots), like CI.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const INSTALL = join(REPO, "systemd/install.sh");
const UNINSTALL = join(REPO, "systemd/uninstall.sh");
const HW_GROUPS = ["gpio", "i2c", "dialout", "spi"];
// The real npm ci takes ~5 s with a warm cache; a cold one on a slow link needs more.
const NPM_TIMEOUT = 120_000;

const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** A system root with just the user database the shadow tools edit (root entries only). */
function makeRoot(): string {
  const root = tempDir("thingd-root-");
  mkdirSync(join(root, "etc"));
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n");
  writeFileSync(join(root, "etc/group"), "root:x:0:\n");
  writeFileSync(join(root, "etc/shadow"), "root:*:19000:0:99999:7:::\n", { mode: 0o640 });
  writeFileSync(join(root, "etc/gshadow"), "root:*::\n", { mode: 0o640 });
  return root;
}

function run(script: string, args: string[], timeout = 30_000): SpawnSyncReturns<string> {
  return spawnSync("bash", [script, ...args], { encoding: "utf8", timeout, cwd: REPO });
}

/** Fails with the script's own output, which says what went wrong far better than `status`. */
function expectOk(r: SpawnSyncReturns<string>): void {
  if (r.error) throw r.error;
  expect(r.status, `exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`).toBe(0);
}

function fileMode(path: string): number {
  return statSync(path).mode & 0o7777;
}

/** Each group in root's etc/group with its gid and members (read directly: the host's NSS knows nothing of this root). */
function readGroups(root: string): Map<string, { gid: number; members: string[] }> {
  const out = new Map<string, { gid: number; members: string[] }>();
  for (const line of readFileSync(join(root, "etc/group"), "utf8").split("\n")) {
    const [name, , gid, members] = line.split(":");
    if (name) out.set(name, { gid: Number(gid), members: members ? members.split(",") : [] });
  }
  return out;
}

/** The passwd entry of `name` in root's etc/passwd, if any. */
function readUser(root: string, name: string): { uid: number; gid: number; home: string; shell: string } | undefined {
  for (const line of readFileSync(join(root, "etc/passwd"), "utf8").split("\n")) {
    const f = line.split(":");
    if (f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? "", shell: f[6] ?? "" };
  }
  return undefined;
}

/** The unit with its ExecStart program replaced, since the installer may point it at another node. */
function normalizeUnit(text: string): string {
  return text.replace(/^ExecStart=\S+ /m, "ExecStart=NODE ");
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe("systemd/install.sh preconditions", () => {
  it("refuses a Node.js older than 22 with how to get Node 24, before changing anything", () => {
    const root = makeRoot();
    const fake = join(tempDir("thingd-fake-node-"), "node");
    // Answers `node -p process.versions.node` the way Bookworm's Node 18 does.
    writeFileSync(fake, "#!/bin/sh\necho 18.19.0\n");
    chmodSync(fake, 0o755);
    const passwdBefore = readFileSync(join(root, "etc/passwd"), "utf8");

    const r = run(INSTALL, ["--root", root, "--node", fake, "--skip-npm"]);

    expect(r.status).toBe(1);
    expect(r.stderr).toContain("18.19.0");
    expect(r.stderr).toMatch(/needs Node\.js 22\.0 or newer/);
    expect(r.stderr).toMatch(/Node\.js 24 LTS/);
    expect(existsSync(join(root, "opt/thingd"))).toBe(false);
    expect(readFileSync(join(root, "etc/passwd"), "utf8")).toBe(passwdBefore);
  });

  it("without make/g++ says to install build-essential before npm ci, before changing anything", () => {
    const root = makeRoot();
    // A PATH with what the script needs up to that check, but no compiler.
    const bin = tempDir("thingd-no-cc-");
    for (const tool of ["basename", "dirname", "cat", "id"]) {
      const where = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
      spawnSync("ln", ["-s", where, join(bin, tool)]);
    }
    const r = spawnSync("/bin/bash", [INSTALL, "--root", root, "--node", process.execPath], { encoding: "utf8", cwd: REPO, env: { PATH: bin } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("make g++ python3 not found: 'npm ci' builds native modules");
    expect(r.stderr).toContain("sudo apt-get install -y build-essential python3");
    expect(existsSync(join(root, "opt/thingd"))).toBe(false);
  });

  it("fails clearly when --root has no etc/passwd", () => {
    const root = tempDir("thingd-empty-root-");
    const r = run(INSTALL, ["--root", root, "--skip-npm"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${root}/etc/passwd not found`);
    expect(existsSync(join(root, "opt"))).toBe(false);
  });

  it("rejects an unknown option with usage and exit 64", () => {
    const r = run(INSTALL, ["--frobnicate"]);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain("Usage:");
    expect(r.stderr).toContain("unknown option: --frobnicate");
  });
});

// One root for the whole life cycle; the tests below run in order and build on each other.
describe("systemd/install.sh and uninstall.sh into a temporary root", () => {
  let root = "";
  let firstRun: SpawnSyncReturns<string>;
  const version = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
  // The installed copy points its editor schema line at the installed schema.
  const example = readFileSync(join(REPO, "examples/sensors.yaml"), "utf8").replace("$schema=../schema/", "$schema=/opt/thingd/schema/");

  beforeAll(() => {
    // dist/ comes from `npx tsc -p tsconfig.json` before the suite; the installer would
    // otherwise build it itself, which is slower and not what this test is about.
    expect(existsSync(join(REPO, "dist/agent/main.js")), "build first: npx tsc -p tsconfig.json").toBe(true);
    root = makeRoot();
    // The real production install, once.
    firstRun = run(INSTALL, ["--root", root], NPM_TIMEOUT);
    expectOk(firstRun);
  }, NPM_TIMEOUT + 10_000);

  it("creates the thingd system user in gpio, i2c, dialout and spi", () => {
    const user = readUser(root, "thingd");
    expect(user).toBeDefined();
    expect(user?.home).toBe("/var/lib/thingd");
    expect(user?.shell).toBe("/usr/sbin/nologin");
    // A system account: below the usual first login uid of 1000.
    expect(user?.uid).toBeGreaterThan(0);
    expect(user?.uid).toBeLessThan(1000);
    const groups = readGroups(root);
    expect(groups.get("thingd")?.gid).toBe(user?.gid);
    for (const g of HW_GROUPS) expect(groups.get(g)?.members, g).toContain("thingd");
  });

  it("installs the built app with production dependencies only", () => {
    const app = join(root, "opt/thingd");
    expect(existsSync(join(app, "dist/agent/main.js"))).toBe(true);
    expect(existsSync(join(app, "examples/sensors.yaml"))).toBe(true);
    expect(existsSync(join(app, "systemd/thingd.service"))).toBe(true);
    expect(existsSync(join(app, "README.md"))).toBe(true);
    // Compiled tests need dev dependencies; they stay out of the production tree.
    expect(existsSync(join(app, "dist/test"))).toBe(false);
    for (const dep of ["yaml", "pino", "zod", "@xmpp/client-core", "serialport"]) {
      expect(existsSync(join(app, "node_modules", dep, "package.json")), dep).toBe(true);
    }
    for (const dev of ["vitest", "typescript", "@types/node", "@xmpp/component"]) {
      expect(existsSync(join(app, "node_modules", dev)), dev).toBe(false);
    }
    expect(statSync(join(app, "dist/agent/main.js")).uid).toBe(0);
  });

  it("bin/thingd runs the installed app: --version and check of the installed sensor map", () => {
    const bin = join(root, "opt/thingd/bin/thingd");
    expect(fileMode(bin) & 0o111).toBe(0o111);
    const v = spawnSync(bin, ["--version"], { encoding: "utf8" });
    expect(v.stderr).toBe("");
    expect(v.stdout.trim()).toBe(version);
    // Loads config, schema and drivers from the production node_modules. The example's
    // password_file does not exist here; THINGD_PASSWORD stands in for it.
    const c = spawnSync(bin, ["check", "-c", join(root, "etc/thingd/sensors.yaml")], {
      encoding: "utf8",
      env: { ...process.env, THINGD_PASSWORD: "not-used" },
    });
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toContain("OK");
  });

  it("links /usr/local/bin/thingd and installs the unit", () => {
    expect(readlinkSync(join(root, "usr/local/bin/thingd"))).toBe("/opt/thingd/bin/thingd");
    const unit = join(root, "etc/systemd/system/thingd.service");
    expect(fileMode(unit)).toBe(0o644);
    const installed = readFileSync(unit, "utf8");
    expect(installed).toMatch(/^ExecStart=\S*node \/opt\/thingd\/dist\/agent\/main\.js run /m);
    expect(normalizeUnit(installed)).toBe(normalizeUnit(readFileSync(join(REPO, "systemd/thingd.service"), "utf8")));
  });

  it("creates /etc/thingd/sensors.yaml from the example, root:thingd 0640", () => {
    const config = join(root, "etc/thingd/sensors.yaml");
    expect(readFileSync(config, "utf8")).toBe(example);
    expect(fileMode(config)).toBe(0o640);
    const st = statSync(config);
    expect(st.uid).toBe(0);
    expect(st.gid).toBe(readGroups(root).get("thingd")?.gid);
    expect(fileMode(join(root, "etc/thingd"))).toBe(0o755);
    expect(firstRun.stdout).toContain("sudo install -m 0640 -o root -g thingd /dev/null /etc/thingd/password");
  });

  it("creates /var/lib/thingd owned by thingd, mode 0750 (the thingd group reaches the status socket)", () => {
    const state = join(root, "var/lib/thingd");
    const user = readUser(root, "thingd");
    expect(fileMode(state)).toBe(0o750);
    expect(statSync(state).uid).toBe(user?.uid);
    expect(statSync(state).gid).toBe(user?.gid);
  });

  it("prints the next steps", () => {
    for (const step of [
      "raspi-config nonint do_i2c 0",
      "raspi-config nonint do_serial_hw 0",
      "raspi-config nonint do_serial_cons 1",
      "thingd check",
      "sudo systemctl enable --now thingd",
      "thingd logs -f",
    ]) {
      expect(firstRun.stdout).toContain(step);
    }
  });

  it("a second run keeps the user's sensors.yaml, the user and the dependencies", () => {
    const config = join(root, "etc/thingd/sensors.yaml");
    const mine = `${example}\n# edited on the Pi\n`;
    writeFileSync(config, mine);
    const uidBefore = readUser(root, "thingd")?.uid;
    const passwdLines = readFileSync(join(root, "etc/passwd"), "utf8").split("\n").length;

    const r = run(INSTALL, ["--root", root, "--skip-npm"]);
    expectOk(r);

    expect(r.stdout).toMatch(/kept your existing \/etc\/thingd\/sensors\.yaml/);
    expect(readFileSync(config, "utf8")).toBe(mine);
    expect(fileMode(config)).toBe(0o640);
    expect(readUser(root, "thingd")?.uid).toBe(uidBefore);
    expect(readFileSync(join(root, "etc/passwd"), "utf8").split("\n").length).toBe(passwdLines);
    expect(existsSync(join(root, "opt/thingd/node_modules/pino/package.json"))).toBe(true);
    const v = spawnSync(join(root, "opt/thingd/bin/thingd"), ["--version"], { encoding: "utf8" });
    expect(v.stdout.trim()).toBe(version);
  });

  it("uninstall keeps config, state and user; removes the app, the link and the unit", () => {
    const r = run(UNINSTALL, ["--root", root]);
    expectOk(r);
    expect(existsSync(join(root, "opt/thingd"))).toBe(false);
    expect(existsSync(join(root, "etc/systemd/system/thingd.service"))).toBe(false);
    // lstat-based: the link dangles on this host, so existsSync alone would not tell.
    expect(() => readlinkSync(join(root, "usr/local/bin/thingd"))).toThrow();
    expect(existsSync(join(root, "etc/thingd/sensors.yaml"))).toBe(true);
    expect(existsSync(join(root, "var/lib/thingd"))).toBe(true);
    expect(readUser(root, "thingd")).toBeDefined();
    expect(r.stdout).toContain("kept /etc/thingd");
  });

  it("uninstall --purge also removes config, state, the user and its group, not the hardware groups", () => {
    expectOk(run(INSTALL, ["--root", root, "--skip-npm"]));
    const r = run(UNINSTALL, ["--root", root, "--purge"]);
    expectOk(r);
    expect(existsSync(join(root, "opt/thingd"))).toBe(false);
    expect(existsSync(join(root, "etc/thingd"))).toBe(false);
    expect(existsSync(join(root, "var/lib/thingd"))).toBe(false);
    expect(readUser(root, "thingd")).toBeUndefined();
    const groups = readGroups(root);
    expect(groups.has("thingd")).toBe(false);
    for (const g of HW_GROUPS) {
      expect(groups.has(g), g).toBe(true);
      expect(groups.get(g)?.members, g).not.toContain("thingd");
    }
  });
});

describe("systemd/install.sh --registry", () => {
  it("adds thingd-registry: its user, unit, link, config and state; uninstall --purge removes them", () => {
    expect(existsSync(join(REPO, "dist/registry/main.js")), "build first: npx tsc -p tsconfig.json").toBe(true);
    const root = makeRoot();
    expectOk(run(INSTALL, ["--root", root, "--skip-npm", "--registry"]));
    const user = readUser(root, "thingd-registry");
    expect(user?.shell).toBe("/usr/sbin/nologin");
    expect(readFileSync(join(root, "etc/systemd/system/thingd-registry.service"), "utf8")).toContain("/opt/thingd/dist/registry/main.js run -c /etc/thingd-registry/registry.yaml");
    expect(readlinkSync(join(root, "usr/local/bin/thingd-registry"))).toBe("/opt/thingd/bin/thingd-registry");
    expect(readFileSync(join(root, "etc/thingd-registry/registry.yaml"), "utf8")).toBe(readFileSync(join(REPO, "examples/registry.yaml"), "utf8"));
    expect(fileMode(join(root, "etc/thingd-registry/registry.yaml"))).toBe(0o640);
    expect(statSync(join(root, "var/lib/thingd-registry")).uid).toBe(user?.uid);
    expect(fileMode(join(root, "var/lib/thingd-registry"))).toBe(0o700);
    expectOk(run(UNINSTALL, ["--root", root, "--purge"]));
    expect(existsSync(join(root, "etc/systemd/system/thingd-registry.service"))).toBe(false);
    expect(existsSync(join(root, "etc/thingd-registry"))).toBe(false);
    expect(readUser(root, "thingd-registry")).toBeUndefined();
  });
});
