// The first hour on a Pi, through the real binary as a subprocess: a service-like run (systemd's
// STATE_DIRECTORY, the config in a folder the service may not write), `check` on a state folder
// it cannot create, `read` without the password and next to a running daemon, `status` as a
// user who is not root, human log lines on a terminal (a real pty via `script`), per-command
// help, YAML indentation hints, secret files others can read. "Another user" is uid 65534
// (nobody) via spawn's uid/gid or `setpriv`, so permissions hold even though tests run as root.
import { spawnSync } from "node:child_process";
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { MAIN, runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { NO_SERIAL_PORTS } from "../../agent/commands/list-serial.js";

const NOBODY = 65534;
const OTHER_UID = 65533; // not the daemon's user, but in its group (65534)

for (const tool of ["script", "setpriv"]) {
  if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is missing: apt-get install -y util-linux bsdutils`);
}
if (process.getuid?.() !== 0) throw new Error("these tests switch users (uid 65534): run them as root, as CI does");

/** The environment without what systemd or the caller's shell would add. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, THINGD_PASSWORD: "", ...extra };
  for (const k of ["STATE_DIRECTORY", "INVOCATION_ID", "JOURNAL_STREAM", "XDG_STATE_HOME"]) if (!(k in extra)) delete env[k];
  return env;
}

function thingd(args: string[], o: { env?: Record<string, string>; uid?: number; gid?: number; input?: string } = {}) {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    encoding: "utf8",
    env: cleanEnv(o.env),
    ...(o.uid !== undefined ? { uid: o.uid, gid: o.gid ?? o.uid } : {}),
    ...(o.input !== undefined ? { input: o.input } : {}),
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Run through a real pseudo-terminal: what a person at an ssh session sees (stdout+stderr). */
function onTty(args: string[], timeoutS?: number) {
  const cmd = [process.execPath, MAIN, ...args].map((a) => `'${a}'`).join(" ");
  const r = spawnSync("script", ["-qe", "-c", timeoutS ? `timeout -s INT ${timeoutS} ${cmd}` : cmd, "/dev/null"], { encoding: "utf8", env: cleanEnv() });
  return { code: r.status, out: r.stdout.replace(/\r\n/g, "\n") };
}

const dirs: string[] = [];
const agents: AgentProcess[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop("SIGKILL")));
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A folder other users can enter (mkdtemp makes 0700). */
async function folder(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "thingd-first-hour-"));
  dirs.push(dir);
  await chmod(dir, 0o755);
  return dir;
}

const XMPP = `xmpp:
  service: xmpp://127.0.0.1:1
  jid: thing@localhost
`;
const ROOM = `  - { id: room, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", value: 21.4, decimals: 1 }] }\n`;

async function sensorMap(dir: string, body: string, mode = 0o644): Promise<string> {
  const file = path.join(dir, "sensors.yaml");
  await writeFile(file, body);
  await chmod(file, mode);
  return file;
}

describe("1. the state folder", () => {
  it("a service-like run keeps its state in $STATE_DIRECTORY, not next to a read-only config", async () => {
    const etc = await folder();
    const config = await sensorMap(etc, `${XMPP}  password: pw\nsensors:\n${ROOM}`);
    await chmod(etc, 0o555); // root's, read-only to the service user, like /etc/thingd
    const state = path.join(await folder(), "thingd");
    await mkdir(state, { mode: 0o750 });
    await chown(state, NOBODY, NOBODY);
    const agent = runThingd(["run", "-c", config], { STATE_DIRECTORY: state, INVOCATION_ID: "0123", THINGD_PASSWORD: "" }, [
      "setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups",
    ]);
    agents.push(agent);
    await agent.waitForLog((l) => l.msg === "created new Thing state with a fresh KEY");
    expect(existsSync(path.join(state, "thing-state.json"))).toBe(true);
    expect(existsSync(path.join(etc, "state"))).toBe(false);
    expect(await agent.stop("SIGTERM")).toBe(0);
  });

  it("check: exit 78 naming a default state folder this user cannot create", async () => {
    const dir = await folder();
    const config = await sensorMap(dir, `${XMPP}  password: pw\nsensors:\n${ROOM}`);
    const home = await folder();
    await chmod(home, 0o555);
    const r = thingd(["check", "-c", config], { uid: NOBODY, env: { HOME: home, USER: "pi" } });
    expect(r.code).toBe(78);
    expect(r.err).toContain(`thingd: the state folder ${home}/.local/state/thingd cannot be used: cannot be created: ${home} is not writable by this user`);
  });

  it("check: OK names the state folder it will use", async () => {
    const dir = await folder();
    const config = await sensorMap(dir, `${XMPP}  password: pw\nstate_dir: ./state\nsensors:\n${ROOM}`);
    const r = thingd(["check", "-c", config]);
    expect(r.code).toBe(0);
    // The first line; the resolved identity follows (agent/commands/check-summary.ts).
    expect(r.out.split("\n")[0]).toBe(`${config}: OK (1 sensor; state in ${dir}/state)`);
  });
});

describe("2. read needs no password; password file errors say which file and why", () => {
  it("read works with no password at all", async () => {
    const config = await sensorMap(await folder(), `${XMPP}sensors:\n${ROOM}`);
    const r = thingd(["read", "-c", config]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/room\s+temperature\s+21\.4\s+°C/);
  });

  it("a password file this user may not read: its resolved path and 'permission denied'", async () => {
    const dir = await folder();
    await writeFile(path.join(dir, "password"), "pw\n", { mode: 0o600 });
    const config = await sensorMap(dir, `${XMPP}  password_file: password\nstate_dir: /tmp\nsensors:\n${ROOM}`);
    const r = thingd(["check", "-c", config], { uid: NOBODY });
    expect(r.code).toBe(78);
    expect(r.err).toContain(`xmpp.password_file: cannot read the password file ${dir}/password: permission denied`);
    const missing = await sensorMap(await folder(), `${XMPP}  password_file: ./nope\nsensors:\n${ROOM}`);
    expect(thingd(["check", "-c", missing]).err).toMatch(/cannot read the password file \/\S+\/nope: no such file/);
  });
});

describe("3. read next to a running daemon", () => {
  it("refuses with the daemon's pid; leaves outputs alone unless --outputs", async () => {
    const dir = await folder();
    const config = await sensorMap(dir, `${XMPP}  password: pw\nstate_dir: ./state\nsensors:\n${ROOM}  - { id: relay, driver: gpio-output, every: 10s, pin: 23 }\n`);
    const idle = thingd(["read", "-c", config, "--json"]);
    const readings = JSON.parse(idle.out) as Array<{ sensor: string; skipped?: string; error?: string }>;
    expect(readings.find((r) => r.sensor === "relay")).toStrictEqual({ sensor: "relay", driver: "gpio-output", fields: [], skipped: "an output, not touched (--outputs reads it)" });
    expect(idle.code).toBe(0);

    const agent = runThingd(["run", "-c", config]);
    agents.push(agent);
    const failed = await agent.waitForLog((l) => l.msg === "XMPP connect failed");
    // 5. connection errors keep their code and message (not type "Object" with an empty stack)
    expect(failed.err).toMatchObject({ code: "ECONNREFUSED", message: expect.stringContaining("ECONNREFUSED") });
    expect((failed.err as { type?: string }).type).not.toBe("Object");
    await expect.poll(() => existsSync(path.join(dir, "state", "thingd.sock")), { timeout: 10_000 }).toBe(true);
    const r = thingd(["read", "-c", config]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`thingd: thingd is running (pid ${agent.child.pid}): use \`thingd status\` for its latest readings\n`);
  });
});

describe("4. status as a user who is not root", () => {
  it("a sensor map it may not read: what to do, exit 1 (not 'invalid config', 78)", async () => {
    const config = await sensorMap(await folder(), `${XMPP}  password: pw\nsensors:\n${ROOM}`, 0o640);
    const r = thingd(["status", "-c", config], { uid: NOBODY });
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `thingd: permission denied reading ${config}: run with sudo or add yourself to the thingd group (sudo usermod -aG thingd $USER, then log in again)\n`,
    );
  });

  it("a member of the daemon's group reads the live status", async () => {
    const dir = await folder();
    await chown(dir, NOBODY, NOBODY);
    const config = await sensorMap(dir, `${XMPP}  password: pw\nstate_dir: ./state\nsensors:\n${ROOM}`);
    const agent = runThingd(["run", "-c", config], {}, ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"]);
    agents.push(agent);
    await expect.poll(() => existsSync(path.join(dir, "state", "thingd.sock")), { timeout: 10_000 }).toBe(true);
    const r = thingd(["status", "-c", config], { uid: OTHER_UID, gid: NOBODY });
    expect(r.err).toBe("");
    expect(r.code).toBe(2); // live, degraded: XMPP is not online
    expect(r.out).toMatch(/^XMPP {6}(connecting|offline|backoff|\w+) {2}thing@localhost/m);
    // The state itself stays private to the daemon's user.
    expect(thingd(["claim", "-c", config], { uid: OTHER_UID, gid: NOBODY }).code).toBe(1);
  });
});

describe("5. logs a person can read", () => {
  it("on a terminal: short human lines, no JSON; --log-format json when asked", async () => {
    const dir = await folder();
    const config = await sensorMap(dir, `${XMPP}sensors:\n${ROOM}  - { id: bad, driver: simulated, every: 1s, fail: true, fields: [{ name: x, unit: "" }] }\n`);
    const read = onTty(["read", "-c", config]);
    expect(read.code).toBe(1);
    expect(read.out).toMatch(/^\d\d:\d\d:\d\d WARN {2}sensor read failed {2}sensor=bad driver=simulated err="simulated failure"$/m);
    expect(read.out).not.toContain('{"level"');
    expect(read.out).not.toMatch(/\n\s+at /); // no stack trace
    const json = onTty(["read", "-c", config, "--log-format", "json"]);
    expect(json.out).toMatch(/^\{"level":40,.*"msg":"sensor read failed"\}$/m);

    const runMap = await sensorMap(await folder(), `${XMPP}  password: pw\nstate_dir: ./state\nsensors:\n${ROOM}`);
    const run = onTty(["run", "-c", runMap], 4);
    expect(run.out).toMatch(/^\d\d:\d\d:\d\d INFO {2}starting {2}version=\S+ config=\S+ jid=thing@localhost sensors=1$/m);
    expect(run.out).toMatch(/^\d\d:\d\d:\d\d WARN {2}XMPP connect failed {2}module=transport err="connect ECONNREFUSED 127\.0\.0\.1:1"/m);
  });

  it("thingd logs -: JSON lines (a saved journal) as human lines, errors with code and message", () => {
    const lines = [
      { level: 40, time: Date.UTC(2026, 0, 1, 12, 0, 0), pid: 1, module: "registry", err: { type: "Error", message: "registry gone", condition: "remote-server-not-found" }, msg: "registration failed; retrying" },
      { level: 30, time: Date.UTC(2026, 0, 1, 12, 0, 1), pid: 1, msg: "online" },
    ].map((l) => `<4>${JSON.stringify(l)}`);
    const r = thingd(["logs", "-"], { input: `${lines.join("\n")}\nnot json\n`, env: { TZ: "UTC" } });
    expect(r.code).toBe(0);
    expect(r.out.split("\n")).toStrictEqual([
      '12:00:00 WARN  registration failed; retrying  module=registry err="registry gone" (remote-server-not-found)',
      "12:00:01 INFO  online",
      "not json",
      "",
    ]);
  });
});

describe("Also", () => {
  it("COMMAND --help prints that command's options", () => {
    const r = thingd(["read", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Usage: thingd read [-c FILE] [--json] [--outputs]");
    expect(r.out).not.toContain("scan-i2c");
    expect(thingd(["status", "-h"]).out).toMatch(/^Usage: thingd status/);
    expect(thingd(["--help"]).out).toContain("thingd COMMAND --help");
  });

  it("YAML indentation: a plain line naming the key on its own line, before the parser's words", async () => {
    const config = await sensorMap(await folder(), "xmpp:\n  service: xmpp://127.0.0.1:1\n    jid: thing@localhost\n  password: pw\nsensors:\n" + ROOM);
    const r = thingd(["check", "-c", config]);
    expect(r.code).toBe(78);
    const lines = r.err.split("\n");
    expect(lines[1]).toBe(`${config}:3:5: check the indentation: \`jid\` is indented deeper than \`service\` above it`);
    expect(lines[2]).toMatch(/YAML syntax: /);
  });

  it("check warns (exit 0) when the password file or a config with an inline password is readable by others", async () => {
    const dir = await folder();
    await writeFile(path.join(dir, "password"), "pw\n", { mode: 0o644 });
    const config = await sensorMap(dir, `${XMPP}  password_file: password\nstate_dir: ./state\nsensors:\n${ROOM}`);
    const r = thingd(["check", "-c", config]);
    expect(r.code).toBe(0);
    expect(r.err).toBe(
      `thingd: warning: the password file ${dir}/password is readable by every user (mode 0644): sudo chown root:thingd ${dir}/password && sudo chmod 0640 ${dir}/password\n`,
    );
    const inline = await sensorMap(await folder(), `${XMPP}  password: pw\nstate_dir: ./state\nsensors:\n${ROOM}`, 0o644);
    expect(thingd(["check", "-c", inline]).err).toContain("the sensor map holds the password inline and");
    const safe = await sensorMap(await folder(), `${XMPP}  password: pw\nstate_dir: ./state\nsensors:\n${ROOM}`, 0o640);
    expect(thingd(["check", "-c", safe]).err).toBe("");
  });

  it("list-serial without udevadm and without links prints the no-ports hint", () => {
    const r = thingd(["list-serial"], { env: { PATH: "/nonexistent" } });
    expect(r.out.trim()).toBe(NO_SERIAL_PORTS);
  });
});
