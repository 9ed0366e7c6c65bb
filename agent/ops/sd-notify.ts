// sd_notify(3) from the thingd process itself: READY=1, STATUS=, WATCHDOG=1, STOPPING=1.
//
// Why this mechanism. systemd attributes a notify datagram to the PID in its SCM_CREDENTIALS,
// and with NotifyAccess=main it drops anything not sent by the main PID, so spawning
// `systemd-notify` is out (needs NotifyAccess=all and still races: docs/pitfalls.md "systemd: readiness"). Node has
// no AF_UNIX SOCK_DGRAM sockets, and none can be had without native code: `dgram` is UDP only,
// and libuv drops a passed-in unix datagram fd as an unknown handle type. Candidates, tried on
// Node 20 here:
//   - `sd-notify`: binds libsystemd, so it needs libsystemd-dev and a compiler on every Pi;
//     a failed build/load of it caused watchdog kill loops (docs/pitfalls.md "systemd: readiness"). Rejected.
//   - `unix-dgram` (zigbee2mqtt): NAN addon compiled by node-gyp at install time (compiler and
//     python on every Pi; npm 11 already lists its install script as "not covered by
//     allowScripts" and says a future npm will block it). It copies the path with strncpy, so
//     abstract sockets ("@name") cannot be addressed. Rejected.
//   - `node-unix-socket`: napi-rs prebuilt binaries, no install script, but it too fails on
//     abstract addresses (ENOENT for "\0name" and "@name"). Rejected.
//   - `koffi` (chosen): a generic FFI with N-API prebuilt binaries shipped as per-platform
//     registry packages (linux x64, arm64 and 32-bit arm for Raspberry Pi OS), so no compiler,
//     no libsystemd, no rebuild per Node major. Its install script only checks that the prebuilt
//     loads (it builds from source only if that fails), and the prebuilt loads even when npm
//     skips install scripts (checked with --ignore-scripts). We call libc's socket() and
//     sendto() directly, build sockaddr_un ourselves (so abstract sockets work) and send with
//     MSG_DONTWAIT so a stuck systemd never blocks the event loop. Datagrams leave from our own
//     PID (checked against SCM_CREDENTIALS in test/agent/sd-notify.test.ts).
// koffi is loaded only when NOTIFY_SOCKET is set: `thingd check/read`, tests and non-systemd
// runs never touch native code.
import { createRequire } from "node:module";
import { constants as osConstants } from "node:os";
import type { Logger } from "pino";

export interface Notifier {
  /** True when messages actually go to a NOTIFY_SOCKET. */
  readonly enabled: boolean;
  ready(status?: string): void;
  stopping(): void;
  watchdog(): void;
  status(text: string): void;
  /** EXTEND_TIMEOUT_USEC: start-up goes on for up to `ms` more (e.g. waiting to register the account). */
  extendTimeout(ms: number): void;
  /** Half of WATCHDOG_USEC when systemd's watchdog is on for this process; else undefined. */
  readonly watchdogIntervalMs: number | undefined;
  close(): void;
}

type Env = Record<string, string | undefined>;
type KoffiModule = typeof import("koffi");

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
/** sizeof(sockaddr_un.sun_path) on Linux. */
const SUN_PATH_MAX = 108;

/** Half the watchdog timeout (as sd_watchdog_enabled(3) advises), if the watchdog is meant for `pid`. */
export function watchdogInterval(env: Env, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isSafeInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/** `struct sockaddr_un` bytes for NOTIFY_SOCKET: a path, or "@name" for the abstract namespace. */
export function sockaddrUn(address: string): Buffer {
  const abstract = address.startsWith("@");
  if (!abstract && !address.startsWith("/")) throw new Error(`NOTIFY_SOCKET must be an absolute path or start with "@", got "${address}"`);
  // Abstract: a leading NUL, then the name, and the length says where it ends (no trailing NUL).
  const name = abstract ? Buffer.concat([Buffer.of(0), Buffer.from(address.slice(1))]) : Buffer.from(`${address}\0`);
  if (name.length > SUN_PATH_MAX) throw new Error(`NOTIFY_SOCKET is longer than ${SUN_PATH_MAX - 1} bytes`);
  const addr = Buffer.alloc(2 + name.length);
  addr.writeUInt16LE(AF_UNIX, 0); // sa_family_t in host order; every Pi and x86 target is little-endian
  name.copy(addr, 2);
  return addr;
}

interface DatagramSocket {
  /** Returns an error code name (e.g. "ECONNREFUSED") on failure. */
  send(message: Buffer): string | undefined;
  close(): void;
}

/** An unbound AF_UNIX datagram socket aimed at `addr`, through libc via koffi. Throws if unavailable. */
function openLibcSocket(addr: Buffer): DatagramSocket {
  const koffi = createRequire(import.meta.url)("koffi") as KoffiModule;
  let libc;
  try {
    libc = koffi.load("libc.so.6"); // glibc: Debian, Raspberry Pi OS
  } catch {
    libc = koffi.load(null); // elsewhere (musl): libc's symbols as already linked into node
  }
  const socket = libc.func("int socket(int domain, int type, int protocol)");
  const sendto = libc.func("intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)");
  const closeFd = libc.func("int close(int fd)");
  const fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) as number;
  if (fd < 0) throw new Error(`socket(AF_UNIX, SOCK_DGRAM) failed: ${errnoName(koffi.errno())}`);
  let open = true;
  return {
    send(message) {
      if (!open) return "EBADF";
      const n = Number(sendto(fd, message, message.length, MSG_DONTWAIT | MSG_NOSIGNAL, addr, addr.length));
      return n < 0 ? errnoName(koffi.errno()) : undefined;
    },
    close() {
      if (open) closeFd(fd);
      open = false;
    },
  };
}

function errnoName(errno: number): string {
  const hit = Object.entries(osConstants.errno).find(([, n]) => n === errno);
  return hit ? hit[0] : `errno ${errno}`;
}

/** STATUS= is one line: systemd splits the datagram on newlines into assignments. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ").trim();
}

const disabled: Notifier = {
  enabled: false,
  watchdogIntervalMs: undefined,
  ready() {},
  stopping() {},
  watchdog() {},
  status() {},
  extendTimeout() {},
  close() {},
};

/**
 * A notifier for the service manager named by NOTIFY_SOCKET; a no-op without it. Throws (after
 * logging why) when WATCHDOG_USEC asks for pings that cannot be sent: exiting beats being killed
 * by the watchdog every WatchdogSec in a loop.
 */
export function createNotifier(log: Logger, env: Env = process.env): Notifier {
  const address = env.NOTIFY_SOCKET;
  const intervalMs = watchdogInterval(env);
  if (!address) return disabled;
  let sock: DatagramSocket;
  try {
    sock = openLibcSocket(sockaddrUn(address));
  } catch (err) {
    if (intervalMs !== undefined) {
      log.error(
        { err, notifySocket: address },
        "cannot send sd_notify messages (koffi/libc socket unavailable) while systemd's watchdog is on (WATCHDOG_USEC): exiting instead of being killed by the watchdog in a loop; reinstall with `npm ci` or remove WatchdogSec= from the unit",
      );
      throw new Error("sd_notify unavailable while the systemd watchdog is enabled", { cause: err });
    }
    log.error({ err, notifySocket: address }, "cannot send sd_notify messages: with Type=notify systemd will time out waiting for READY=1");
    return disabled;
  }
  let warned = false;
  const send = (message: string) => {
    const error = sock.send(Buffer.from(message));
    if (error && !warned) log.warn({ error, notifySocket: address, message }, "sd_notify message not delivered");
    warned = error !== undefined;
  };
  log.debug({ notifySocket: address, watchdogIntervalMs: intervalMs }, "sd_notify enabled");
  return {
    enabled: true,
    watchdogIntervalMs: intervalMs,
    ready: (status) => send(status === undefined ? "READY=1" : `READY=1\nSTATUS=${oneLine(status)}`),
    stopping: () => send("STOPPING=1"),
    watchdog: () => send("WATCHDOG=1"),
    status: (text) => send(`STATUS=${oneLine(text)}`),
    extendTimeout: (ms) => send(`EXTEND_TIMEOUT_USEC=${Math.ceil(ms * 1000)}`),
    close: () => sock.close(),
  };
}
