// The amd64 .deb installed for real on this machine (dpkg -i, as root: CI runs as root or with
// password-less sudo), checked the way a user would meet it, run as the thingd user against a
// real Prosody, then purged. It changes the system, so it starts by purging a leftover thingd.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { appendFile, chmod, copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { once } from "node:events";
import { xml } from "@xmpp/xml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProsody, type ProsodyServer } from "../../../scripts/lib/local-prosody.js";
import { startRegistry, type TestRegistry } from "../../../scripts/lib/test-registry.js";
import { freePort } from "../../../scripts/lib/free-port.js";
import { runThingd, type AgentProcess } from "../../helpers/agent-process.js";
import { ClientPool } from "../../helpers/clients.js";
import { ROOM_SENSOR } from "../../helpers/sensor-maps.js";
import { tearDown } from "../../helpers/thing-stack.js";
import { releaseDeb, requireTool, run, VERSION, wrapFor } from "./deb-helpers.js";

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: "utf8" });
const installed = (): boolean => {
  try {
    return execFileSync("dpkg-query", ["-W", "-f=${Status}", "thingd"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).includes("installed");
  } catch {
    return false;
  }
};
const hasEntry = (db: "passwd" | "group", name: string): boolean =>
  readFileSync(`/etc/${db}`, "utf8")
    .split("\n")
    .some((l) => l.startsWith(`${name}:`));

let deb: string;
let installOutput: string;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error("installing the .deb needs root: run as root (CI does)");
  requireTool("dpkg", "a Debian system");
  requireTool("systemd-analyze", "sudo apt-get install -y systemd");
  deb = releaseDeb("amd64");
  if (installed()) sh("dpkg", ["--purge", "thingd"]);
  installOutput = (await run("dpkg", ["-i", deb])).stdout;
});

afterAll(() => {
  if (installed()) sh("dpkg", ["--purge", "thingd"]);
});

describe("amd64 .deb installed with dpkg -i", () => {
  it("is installed at the package version with its own runtime on the PATH", async () => {
    expect(sh("dpkg-query", ["-W", "-f=${Version} ${Status}", "thingd"])).toBe(`${VERSION} install ok installed`);
    expect((await run("/usr/bin/thingd", ["--version"], { env: { PATH: "/usr/bin:/bin" } })).stdout.trim()).toBe(VERSION);
    expect((await run("/opt/thingd/node/bin/node", ["-p", "process.versions.node"])).stdout).toMatch(/^24\./);
  });

  it("creates the system user thingd in gpio i2c dialout spi, with no login", () => {
    const [, , uid, , , home, shell] = sh("getent", ["passwd", "thingd"]).trim().split(":");
    expect(Number(uid)).toBeLessThan(1000);
    expect([home, shell]).toStrictEqual(["/var/lib/thingd", "/usr/sbin/nologin"]);
    expect(sh("id", ["-nG", "thingd"]).trim().split(" ").sort()).toStrictEqual(["dialout", "gpio", "i2c", "spi", "thingd"]);
  });

  it("state dir 0750 thingd (status socket for the group), sensor map 0640 root:thingd registered as a conffile", () => {
    const uid = Number(sh("id", ["-u", "thingd"]));
    const gid = Number(sh("id", ["-g", "thingd"]));
    const state = statSync("/var/lib/thingd");
    expect([state.mode & 0o7777, state.uid, state.gid]).toStrictEqual([0o750, uid, gid]);
    const map = statSync("/etc/thingd/sensors.yaml");
    expect([map.mode & 0o7777, map.uid, map.gid]).toStrictEqual([0o640, 0, gid]);
    expect(sh("dpkg-query", ["-W", "-f=${Conffiles}", "thingd"])).toMatch(/^ \/etc\/thingd\/sensors\.yaml [0-9a-f]{32}$/m);
    expect(readFileSync("/etc/thingd/sensors.yaml", "utf8")).toContain("$schema=/opt/thingd/app/schema/sensor-map.schema.json");
  });

  it("enables the unit but does not start it while no password is configured", () => {
    const link = "/etc/systemd/system/multi-user.target.wants/thingd.service";
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe("/lib/systemd/system/thingd.service");
    // Where systemd runs, postinst says why it did not start; without systemd it stays quiet.
    if (existsSync("/run/systemd/system")) expect(installOutput).toContain("/etc/thingd/password");
  });

  it("the installed unit passes systemd-analyze verify", async () => {
    const unit = "/lib/systemd/system/thingd.service";
    expect(readFileSync(unit, "utf8")).toMatch(
      /^ExecStart=\/opt\/thingd\/node\/bin\/node \/opt\/thingd\/app\/dist\/agent\/main\.js run -c \/etc\/thingd\/sensors\.yaml$/m,
    );
    const r = await run("systemd-analyze", ["verify", unit]).catch((e: { stdout: string; stderr: string; code: number }) => e);
    const out = `${r.stdout}${r.stderr}`;
    expect("code" in r ? r.code : 0, out).toBe(0);
    expect(out.split("\n").filter((l) => l.includes("thingd.service"))).toStrictEqual([]);
  });

  it("keeps the user's edit of the sensor map when the package is installed again", async () => {
    await appendFile("/etc/thingd/sensors.yaml", "# edited by the test\n");
    await run("dpkg", ["-i", deb]);
    expect(readFileSync("/etc/thingd/sensors.yaml", "utf8")).toMatch(/# edited by the test\n$/);
  });
});

describe("amd64 .deb: the web console and thingd-registry", () => {
  it("`thingd console --listen` serves index.html from /usr/share/thingd/console, as an unprivileged user", async () => {
    const port = await freePort();
    const child = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/thingd", "console", "--listen", `127.0.0.1:${port}`], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: "/usr/bin:/bin" },
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    const exited = once(child, "exit");
    try {
      await expect.poll(() => out, { timeout: 30_000 }).toContain(`serving /usr/share/thingd/console/ at http://127.0.0.1:${port}/`);
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await res.text()).toBe(readFileSync("/usr/share/thingd/console/index.html", "utf8"));
      expect((await fetch(`http://127.0.0.1:${port}/console.js`)).headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = (await exited) as [number | null];
    expect(code, out).toBe(0);
  });

  it("Prosody's mod_http_files serves the installed console next to mod_websocket (the README's config)", async () => {
    const prosody = await startProsody({ websocket: true });
    try {
      // The README's lines: http_files on, the console's folder, its path.
      const cfg = readFileSync(prosody.configFile, "utf8");
      const edited = cfg
        .replace('  "websocket";', '  "websocket"; "http_files";')
        .replace(/^VirtualHost /m, 'http_files_dir = "/usr/share/thingd/console"\nhttp_paths = { files = "/console" }\n\nVirtualHost ');
      expect(edited).not.toBe(cfg);
      await writeFile(prosody.configFile, edited);
      await prosody.restart();
      // Prosody routes http_files by Host: the VirtualHost's name, here "localhost".
      const res = await fetch(`http://localhost:${prosody.httpPort}/console/`);
      expect(res.status, await prosody.logTail()).toBe(200);
      expect(await res.text()).toBe(readFileSync("/usr/share/thingd/console/index.html", "utf8"));
      expect((await fetch(`http://localhost:${prosody.httpPort}/console/console.js`)).status).toBe(200);
    } finally {
      await prosody.stop();
    }
  });

  it("thingd-registry runs from the package: --help and --version", async () => {
    const env = { PATH: "/usr/bin:/bin" };
    const help = (await run("/usr/bin/thingd-registry", ["--help"], { env })).stdout;
    expect(help).toMatch(/thingd-registry/);
    expect(help).toMatch(/\brun\b/);
    expect((await run("/usr/bin/thingd-registry", ["--version"], { env })).stdout.trim()).toBe(`thingd-registry ${VERSION}`);
  });

  it("thingd-registry.service is installed, not enabled, its user exists, and it passes systemd-analyze verify", async () => {
    const unit = "/lib/systemd/system/thingd-registry.service";
    expect(readFileSync(unit, "utf8")).toMatch(
      /^ExecStart=\/opt\/thingd\/node\/bin\/node \/opt\/thingd\/app\/dist\/registry\/main\.js run -c \/etc\/thingd-registry\/registry\.yaml$/m,
    );
    expect(existsSync("/etc/systemd/system/multi-user.target.wants/thingd-registry.service")).toBe(false);
    expect(sh("getent", ["passwd", "thingd-registry"])).toMatch(/^thingd-registry:x:\d+:\d+:[^:]*:\/var\/lib\/thingd-registry:\/usr\/sbin\/nologin$/m);
    const r = await run("systemd-analyze", ["verify", unit]).catch((e: { stdout: string; stderr: string; code: number }) => e);
    const out = `${r.stdout}${r.stderr}`;
    expect("code" in r ? r.code : 0, out).toBe(0);
    expect(out.split("\n").filter((l) => l.includes("thingd-registry.service"))).toStrictEqual([]);
    expect(readFileSync("/usr/share/doc/thingd/examples/registry.yaml", "utf8")).toContain("secret_file: /etc/thingd-registry/secret");
  });
});

describe("amd64 .deb: the installed thingd runs as the thingd user", () => {
  let server: ProsodyServer | undefined;
  let registry: TestRegistry | undefined;
  let agent: AgentProcess | undefined;
  let dir: string | undefined;
  const clients = new ClientPool(() => server!);

  beforeAll(async () => {
    server = await startProsody({
      users: ["thing", "reader"].map((u) => ({ user: u, password: `${u}-pw` })),
      components: [{ domain: "registry.localhost", secret: "registry-secret" }],
    });
    registry = await startRegistry(server, { domain: "registry.localhost", secret: "registry-secret" });
    // A folder the thingd user can read (the CA, the map) and write (its state).
    dir = await mkdtemp(path.join(tmpdir(), "thingd-deb-run-"));
    await chmod(dir, 0o755);
    await copyFile(server.caFile, path.join(dir, "ca.pem"));
    await chmod(path.join(dir, "ca.pem"), 0o644);
    const map = path.join(dir, "sensors.yaml");
    await writeFile(
      map,
      `xmpp:\n  service: ${server.service}\n  jid: thing@localhost\n  password: thing-pw\n  resource: gateway\n  tls: { ca: ./ca.pem }\nregistry:\n  jid: registry.localhost\naccess:\n  readers: [reader@localhost]\nstate_dir: /var/lib/thingd\nsensors:\n${ROOM_SENSOR}`,
    );
    await chmod(map, 0o644);
    // setpriv execs (keeps the pid), so the test's signals reach thingd.
    agent = runThingd(["run", "-c", map], {}, wrapFor(["setpriv", "--reuid=thingd", "--regid=thingd", "--init-groups", "/usr/bin/thingd"]));
  });

  afterAll(async () => {
    await tearDown({ clients, agent, components: [registry], server, dir });
  });

  it("comes online, registers, keeps its state in /var/lib/thingd and answers a readout", async () => {
    await agent!.waitForLog((l) => l.msg === "online", 60_000);
    const reg = await registry!.waitForRegistration(() => true, 60_000);
    expect(reg.from).toBe("thing@localhost/gateway");
    const stateFile = "/var/lib/thingd/thing-state.json";
    expect(statSync(stateFile).uid).toBe(Number(sh("id", ["-u", "thingd"])));
    const reader = await clients.client("reader");
    const r = await reader.read("thing@localhost/gateway", { momentary: "true" }, [xml("node", { nodeId: "room" })]);
    expect(r.fields.map((f) => [f.node, f.name, f.value, f.unit])).toStrictEqual([["room", "temperature", "21.40", "°C"]]);
  });
});

describe("amd64 .deb: purge", () => {
  it("removes the app, the console, the config, the state and the thingd and thingd-registry users; keeps the shared hardware groups", async () => {
    await writeFile("/etc/thingd/password", "secret\n");
    await run("dpkg", ["--purge", "thingd"]);
    expect(installed()).toBe(false);
    for (const p of [
      "/opt/thingd",
      "/usr/bin/thingd",
      "/lib/systemd/system/thingd.service",
      "/etc/thingd",
      "/var/lib/thingd",
      "/etc/systemd/system/multi-user.target.wants/thingd.service",
      "/usr/bin/thingd-registry",
      "/lib/systemd/system/thingd-registry.service",
      "/usr/share/thingd",
      "/var/lib/thingd-registry",
    ]) {
      expect(existsSync(p), p).toBe(false);
    }
    expect(hasEntry("passwd", "thingd")).toBe(false);
    expect(hasEntry("group", "thingd")).toBe(false);
    expect(hasEntry("passwd", "thingd-registry")).toBe(false);
    expect(hasEntry("group", "thingd-registry")).toBe(false);
    for (const g of ["gpio", "i2c", "dialout", "spi"]) expect(hasEntry("group", g), g).toBe(true);
    await rm("/etc/thingd", { recursive: true, force: true });
  });
});
