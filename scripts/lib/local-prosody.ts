// Test infrastructure: start a REAL Prosody (Debian package) on loopback, in a fresh temp dir.
//
// Every server gets its own mkdtemp directory holding a tiny CA + leaf certificate for
// "localhost", a generated prosody.cfg.lua, the data directory, the pidfile and the log.
// Prosody runs in the foreground (-F) as a child of the test process.
import { setTimeout as sleep } from "node:timers/promises";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { constants as fsConstants, rmSync } from "node:fs";
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect as netConnect } from "node:net";
import { tcpAccepts } from "../../agent/transport/comeback.js";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

import { freePorts } from "./free-port.js";

export interface ProsodyServer {
  /** Temp dir holding config, certs, data, pidfile and log. Removed by stop(). */
  dir: string;
  domain: "localhost";
  c2sPort: number;
  componentPort: number;
  /** PEM of the CA that signed the "localhost" certificate; trust it and verify the name "localhost". */
  caFile: string;
  /** "xmpp://127.0.0.1:<c2sPort>" */
  service: string;
  /** With `websocket: true`: Prosody's http port and "ws://127.0.0.1:<httpPort>/xmpp-websocket". */
  httpPort?: number;
  websocketUrl?: string;
  /** Path of Prosody's log file (level info). */
  logFile: string;
  /** Path of the generated prosody.cfg.lua. */
  configFile: string;
  /** The components configured in prosody.cfg.lua (startRegistry() reads its secret from here). */
  components: ReadonlyArray<{ domain: string; secret: string }>;
  /** A one-use account invitation token (needs `registration: "invite"`), made with prosodyctl mod_invites. */
  createInvite(): Promise<string>;
  /** Registers an account with prosodyctl (works while Prosody is running). */
  addUser(user: string, password: string): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s; waits for exit; removes `dir`. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL (abrupt, no stream close); waits for exit; keeps `dir` so restart() can follow. */
  kill(): Promise<void>;
  /** Starts Prosody again on the same ports with the same data (stops it first if it is running). */
  restart(): Promise<void>;
  /** Last lines of Prosody's log file (for diagnostics in assertions). */
  logTail(lines?: number): Promise<string>;
}

export interface StartProsodyOptions {
  users?: Array<{ user: string; password: string }>;
  components?: Array<{ domain: string; secret: string }>;
  /**
   * Also serve XMPP over WebSocket (RFC 7395, mod_websocket) on a plain-http loopback port:
   * `ws://127.0.0.1:<httpPort>/xmpp-websocket`, from any origin, treated as secure (loopback only).
   */
  websocket?: boolean;
  /** Prosody 0.12 `network_settings.nagle`: false sets TCP_NODELAY on its sockets (default: Prosody's, Nagle on). */
  nagle?: boolean;
  /**
   * In-band registration (XEP-0077): "closed" (default, allow_registration = false), "open"
   * (anyone may register; throttling off so tests can register many), or "invite" (only with a
   * XEP-0401 token from createInvite()).
   */
  registration?: "closed" | "open" | "invite";
  /**
   * XEP-0198 stream management (Prosody 0.12's mod_smacks) in modules_enabled; `hibernationSeconds`
   * is `smacks_hibernation_time`, how long a session lost without a stream close waits for resumption.
   */
  smacks?: boolean | { hibernationSeconds: number };
}

const DOMAIN = "localhost" as const;
const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;
const CTL_TIMEOUT_MS = 20_000;
const NOT_INSTALLED = "Prosody is not installed: run `apt-get install -y prosody` (Debian/Ubuntu)";

/** Servers whose process may still be alive: killed (and their dirs removed) if the test process exits. */
const live = new Set<{ child: ChildProcess | null; dir: string }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const s of live) {
      try {
        if (s.child && s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGKILL");
      } catch {
        /* already gone */
      }
      try {
        rmSync(s.dir, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    }
  });
}

async function which(name: string): Promise<string | null> {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const d of [...dirs, "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"]) {
    const p = join(d, name);
    try {
      await access(p, fsConstants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} timed out after ${opts.timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? CTL_TIMEOUT_MS);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function runChecked(cmd: string, args: string[], what: string, opts: { cwd?: string } = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(
      `${what} failed (exit ${r.code ?? r.signal}): ${cmd} ${args.join(" ")}\nstderr: ${r.stderr.trim()}\nstdout: ${r.stdout.trim()}`,
    );
  }
  return r;
}

/** Lua string literal. */
function lua(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`;
}

const OPENSSL_CNF = `# generated by scripts/lib/local-prosody.ts
[req]
distinguished_name = dn
prompt = no
[dn]
CN = localhost
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/** Tiny CA + leaf (CN=localhost, SAN DNS:localhost, IP:127.0.0.1), EC P-256. */
async function makeCertificates(openssl: string, certDir: string): Promise<{ caFile: string; key: string; cert: string }> {
  await mkdir(certDir, { recursive: true, mode: 0o700 });
  const cnf = join(certDir, "openssl.cnf");
  await writeFile(cnf, OPENSSL_CNF);
  const caKey = join(certDir, "ca.key");
  const caFile = join(certDir, "ca.crt");
  const key = join(certDir, "localhost.key");
  const csr = join(certDir, "localhost.csr");
  const cert = join(certDir, "localhost.crt");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await runChecked(
    openssl,
    ["req", "-x509", "-new", "-config", cnf, ...ec, "-keyout", caKey, "-out", caFile, "-days", "30", "-subj", "/CN=thingd test CA", "-extensions", "v3_ca"],
    "openssl (CA certificate)",
  );
  await runChecked(openssl, ["req", "-new", "-config", cnf, ...ec, "-keyout", key, "-out", csr, "-subj", "/CN=localhost"], "openssl (CSR)");
  const serial = "0x" + randomBytes(8).toString("hex");
  await runChecked(
    openssl,
    ["x509", "-req", "-in", csr, "-CA", caFile, "-CAkey", caKey, "-set_serial", serial, "-out", cert, "-days", "30", "-extfile", cnf, "-extensions", "v3_leaf"],
    "openssl (sign leaf certificate)",
  );
  return { caFile, key, cert };
}

function makeConfig(p: {
  dir: string;
  dataDir: string;
  certDir: string;
  key: string;
  cert: string;
  logFile: string;
  c2sPort: number;
  componentPort: number;
  components: ReadonlyArray<{ domain: string; secret: string }>;
  nagle?: boolean | undefined;
  httpPort?: number | undefined;
  registration?: "closed" | "open" | "invite" | undefined;
  smacks?: boolean | { hibernationSeconds: number } | undefined;
}): string {
  const registration = p.registration ?? "closed";
  const lines = [
    "-- generated by scripts/lib/local-prosody.ts",
    "run_as_root = true -- tests may run as root; mod_posix refuses root without this, prosodyctl would setuid to 'prosody'",
    "daemonize = false -- also passed as -F on the command line",
    `pidfile = ${lua(join(p.dir, "prosody.pid"))}`,
    `data_path = ${lua(p.dataDir)}`,
    `certificates = ${lua(p.certDir)}`,
    "plugin_paths = {}",
    "",
    'interfaces = { "127.0.0.1" }',
    'local_interfaces = { "127.0.0.1" }',
    `c2s_ports = { ${p.c2sPort} }`,
    'c2s_interfaces = { "127.0.0.1" }',
    "c2s_direct_tls_ports = {}",
    `component_ports = { ${p.componentPort} }`,
    'component_interfaces = { "127.0.0.1" }',
    "s2s_ports = {}",
    "s2s_direct_tls_ports = {}",
    p.httpPort ? `http_ports = { ${p.httpPort} }` : "http_ports = {}",
    ...(p.httpPort ? ['http_interfaces = { "127.0.0.1" }', "consider_websocket_secure = true -- plain ws:// on loopback only", "cross_domain_websocket = true"] : []),
    "https_ports = {}",
    ...(p.nagle === false ? ["network_settings = { nagle = false } -- TCP_NODELAY (net/server_epoll.lua)"] : []),
    "",
    "modules_enabled = {",
    '  "roster"; "saslauth"; "tls"; "disco"; "ping"; "version";',
    ...(p.httpPort ? ['  "websocket";'] : []),
    ...(registration === "open" ? ['  "register";'] : []),
    ...(registration === "invite" ? ['  "register"; "invites"; "invites_register";'] : []),
    ...(p.smacks ? ['  "smacks";'] : []),
    "}",
    ...(typeof p.smacks === "object" ? [`smacks_hibernation_time = ${p.smacks.hibernationSeconds}`] : []),
    '-- autoloaded modules we do not want (posix stays: it writes the pidfile and handles SIGTERM)',
    'modules_disabled = { "s2s"; "s2s_auth_certs"; "offline" }',
    "",
    `allow_registration = ${registration === "closed" ? "false" : "true"}`,
    ...(registration === "invite" ? ["registration_invite_only = true"] : []),
    ...(registration !== "closed" ? ["min_seconds_between_registrations = 0", "registration_throttle_max = 1000"] : []),
    "c2s_require_encryption = true",
    'authentication = "internal_hashed"',
    'storage = "internal"',
    "",
    "log = {",
    `  { levels = { min = "info" }, to = "file", filename = ${lua(p.logFile)} };`,
    '  { levels = { min = "error" }, to = "console" };',
    "}",
    "",
    `VirtualHost ${lua(DOMAIN)}`,
    `  ssl = { key = ${lua(p.key)}; certificate = ${lua(p.cert)} }`,
    "",
  ];
  for (const c of p.components) {
    lines.push(`Component ${lua(c.domain)}`, `  component_secret = ${lua(c.secret)}`, "");
  }
  return lines.join("\n");
}

async function readTail(file: string, lines = 40): Promise<string> {
  try {
    const text = await readFile(file, "utf8");
    return text.split("\n").slice(-lines - 1).join("\n");
  } catch (err) {
    return `(could not read ${file}: ${(err as Error).message})`;
  }
}

/**
 * Opens a raw c2s stream and resolves with what the server sent up to the end of
 * <stream:features> (or rejects). Used as the readiness probe: a listening socket alone does
 * not prove the VirtualHost is active.
 */
function probeC2s(port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host: "127.0.0.1", port });
    let buf = "";
    const done = (err: Error | null, value?: string) => {
      clearTimeout(timer);
      sock.removeAllListeners();
      sock.on("error", () => {});
      sock.destroy();
      if (err) reject(err);
      else resolve(value ?? "");
    };
    const timer = setTimeout(() => done(new Error(`no <stream:features> within ${timeoutMs} ms; got: ${buf}`)), timeoutMs);
    sock.setEncoding("utf8");
    sock.on("connect", () => {
      sock.write(
        `<?xml version='1.0'?><stream:stream to='${DOMAIN}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`,
      );
    });
    sock.on("data", (d: string) => {
      buf += d;
      if (buf.includes("</stream:features>")) done(null, buf);
      else if (buf.includes("stream:error")) done(new Error(`stream error: ${buf}`));
    });
    sock.on("error", (err) => done(err));
    sock.on("close", () => done(new Error(`connection closed; got: ${buf}`)));
  });
}

/** Prosody does not exit when a port is taken; it logs this (also to the console sink) and carries on. */
const PORT_IN_USE = /Failed to open server port/;
class PortInUseError extends Error {
  override name = "PortInUseError";
}

export async function startProsody(opts: StartProsodyOptions = {}): Promise<ProsodyServer> {
  const [prosodyBin, prosodyctlBin] = await Promise.all([which("prosody"), which("prosodyctl")]);
  if (!prosodyBin || !prosodyctlBin) throw new Error(NOT_INSTALLED);
  const openssl = await which("openssl");
  if (!openssl) throw new Error("openssl is not installed: run `apt-get install -y openssl` (Debian/Ubuntu)");

  const components = (opts.components ?? []).map((c) => ({ ...c }));
  for (const c of components) {
    if (c.domain === DOMAIN || !c.domain) throw new Error(`startProsody: bad component domain ${JSON.stringify(c.domain)}`);
  }

  const dir = await mkdtemp(join(tmpdir(), "thingd-prosody-"));
  const entry: { child: ChildProcess | null; dir: string } = { child: null, dir };
  live.add(entry);
  installExitHook();

  const dataDir = join(dir, "data");
  const certDir = join(dir, "certs");
  const logFile = join(dir, "prosody.log");
  const configFile = join(dir, "prosody.cfg.lua");

  let output = ""; // stdout+stderr of the prosody process (last 16 KiB)
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let removed = false;

  let running = false;
  const isRunning = () => running;

  const spawnProsody = () => {
    const c = spawn(prosodyBin, ["-F", "--config", configFile], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const append = (d: Buffer) => {
      output = (output + d.toString("utf8")).slice(-16_384);
    };
    c.stdout?.on("data", append);
    c.stderr?.on("data", append);
    running = true;
    exited = new Promise<void>((resolve) => {
      c.once("exit", () => {
        running = false;
        resolve();
      });
      c.once("error", (err) => {
        // spawn failure ('exit' is not emitted then)
        output += `\nspawn error: ${err.message}`;
        running = false;
        resolve();
      });
    });
    child = c;
    entry.child = c;
  };

  const diagnostics = async () =>
    `dir: ${dir}\n--- tail of ${logFile} ---\n${await readTail(logFile)}\n--- prosody stdout/stderr ---\n${output.trim() || "(empty)"}`;

  const waitReady = async () => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastErr = "";
    for (;;) {
      if (!isRunning()) {
        const c = child as ChildProcess | null;
        await exited;
        throw new Error(
          `Prosody exited during startup (code ${c?.exitCode ?? "?"}, signal ${c?.signalCode ?? "-"})\n${await diagnostics()}`,
        );
      }
      if (PORT_IN_USE.test(output)) {
        throw new PortInUseError(`Prosody could not bind its ports (${c2sPort}, ${componentPort})\n${await diagnostics()}`);
      }
      try {
        const features = await probeC2s(c2sPort, 2_000);
        if (!features.includes("<starttls")) throw new Error(`c2s features without <starttls>: ${features}`);
        const componentsUp = components.length === 0 || (await tcpAccepts({ host: "127.0.0.1", port: componentPort }, 1_000));
        const httpUp = httpPort === undefined || (await tcpAccepts({ host: "127.0.0.1", port: httpPort }, 1_000));
        if (componentsUp && httpUp) return;
        lastErr = componentsUp ? `http port ${httpPort} does not accept connections` : `component port ${componentPort} does not accept connections`;
      } catch (err) {
        lastErr = (err as Error).message;
      }
      if (Date.now() > deadline) {
        throw new Error(`Prosody did not become ready within ${READY_TIMEOUT_MS} ms on c2s port ${c2sPort}: ${lastErr}\n${await diagnostics()}`);
      }
      await sleep(100);
    }
  };

  const terminate = async (signal: "SIGTERM" | "SIGKILL") => {
    if (!isRunning()) {
      await exited;
      return;
    }
    const c = child as ChildProcess;
    c.kill(signal);
    if (signal === "SIGTERM") {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), STOP_GRACE_MS))),
      ]);
      clearTimeout(timer);
      if (timedOut && isRunning()) c.kill("SIGKILL");
    }
    await exited;
  };

  const prosodyctl = async (args: string[], what: string) =>
    runChecked(prosodyctlBin, ["--config", configFile, ...args], what, { cwd: dir });

  let c2sPort = 0;
  let componentPort = 0;
  let httpPort: number | undefined;
  let caFile = "";
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o750 });
    const certs = await makeCertificates(openssl, certDir);
    caFile = certs.caFile;
    for (let attempt = 1; ; attempt++) {
      let ports: number[];
      [c2sPort = 0, componentPort = 0, ...ports] = await freePorts(opts.websocket ? 3 : 2);
      httpPort = ports[0];
      await writeFile(
        configFile,
        makeConfig({ dir, dataDir, certDir, key: certs.key, cert: certs.cert, logFile, c2sPort, componentPort, components, nagle: opts.nagle, registration: opts.registration, smacks: opts.smacks, httpPort }),
      );
      if (attempt === 1) {
        for (const u of opts.users ?? []) {
          await prosodyctl(["register", u.user, DOMAIN, u.password], `prosodyctl register ${u.user}@${DOMAIN}`);
        }
      }
      output = "";
      spawnProsody();
      try {
        await waitReady();
        break;
      } catch (err) {
        // Someone grabbed a port between freePorts() and Prosody's bind: pick new ones.
        if (!(err instanceof PortInUseError) || attempt >= 3) throw err;
        await terminate("SIGKILL");
      }
    }
  } catch (err) {
    await terminate("SIGKILL").catch(() => {});
    live.delete(entry);
    // The dir is kept on failure so the log/config can be inspected; its path is in the message.
    throw err;
  }

  const server: ProsodyServer = {
    dir,
    domain: DOMAIN,
    c2sPort,
    componentPort,
    caFile,
    service: `xmpp://127.0.0.1:${c2sPort}`,
    ...(httpPort ? { httpPort, websocketUrl: `ws://127.0.0.1:${httpPort}/xmpp-websocket` } : {}),
    logFile,
    configFile,
    components,
    async createInvite() {
      if (removed) throw new Error("ProsodyServer.createInvite: server was stopped");
      const r = await prosodyctl(["mod_invites", "generate", DOMAIN], "prosodyctl mod_invites generate");
      // Prints an invitation URI, e.g. xmpp:localhost?register;preauth=TOKEN (or ?roster;...;preauth=TOKEN&ibr=y).
      const token = /preauth=([A-Za-z0-9_-]+)/.exec(r.stdout + r.stderr)?.[1];
      if (!token) throw new Error(`prosodyctl mod_invites generate printed no token:\n${r.stdout}\n${r.stderr}`);
      return token;
    },
    async addUser(user, password) {
      if (removed) throw new Error("ProsodyServer.addUser: server was stopped");
      await prosodyctl(["register", user, DOMAIN, password], `prosodyctl register ${user}@${DOMAIN}`);
    },
    async stop() {
      await terminate("SIGTERM");
      if (!removed) {
        removed = true;
        live.delete(entry);
        await rm(dir, { recursive: true, force: true });
      }
    },
    async kill() {
      await terminate("SIGKILL");
    },
    async restart() {
      if (removed) throw new Error("ProsodyServer.restart: server was stopped (its temp dir is gone)");
      await terminate("SIGTERM");
      output = "";
      spawnProsody();
      try {
        await waitReady();
      } catch (err) {
        await terminate("SIGKILL").catch(() => {});
        throw err;
      }
    },
    logTail(lines = 40) {
      return readTail(logFile, lines);
    },
  };
  return server;
}
