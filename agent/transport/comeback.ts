// Reconnect as soon as a crashed server is back, instead of sleeping out a long backoff:
// while we wait, probe the server's TCP port (a bare connect, closed at once; no XMPP, no TLS)
// and wake when it goes from refusing to accepting. A random pause after that keeps a fleet of
// Things from logging in within the same millisecond (the herd is spread over `spreadMs`).
// Only a *down* server is watched: if the port already accepts when the wait begins, the last
// failure was something else (auth, TLS, a stream error) and the normal backoff applies.
import net from "node:net";
import { setTimeout as delay } from "node:timers/promises";

export interface ServerAddress {
  host: string;
  port: number;
}

/** Host and port of an `xmpp://` / `xmpps://` service URL (defaults 5222 / 5223). */
export function serviceAddress(service: string): ServerAddress | undefined {
  try {
    const url = new URL(service);
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = url.port ? Number(url.port) : url.protocol === "xmpps:" ? 5223 : 5222;
    return host ? { host, port } : undefined;
  } catch {
    return undefined;
  }
}

/** True if a TCP connection to `addr` is accepted within `timeoutMs`. */
export function tcpAccepts(addr: ServerAddress, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: addr.host, port: addr.port });
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      sock.removeAllListeners();
      sock.on("error", () => {});
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.once("connect", () => finish(true));
    sock.once("error", () => finish(false));
  });
}

export interface ComebackOptions {
  /** Mean gap between probes (jittered ±50 %). */
  intervalMs?: number;
  /** Random pause in [0, spreadMs) between "port accepts" and waking the caller. */
  spreadMs?: number;
  random?: () => number;
}

// 1.2 s: a fleet behind one server spreads its logins over more than a second (30 boards:
// ~25 logins per second instead of all within 0.4 s; `npm run bench:fleet`, docs/benchmarks.md
// "Fleets"), while one board is still back within 2 s of its server (probe gap ≤ 375 ms, the
// pause, then the login).
export const DEFAULT_COMEBACK: Required<Omit<ComebackOptions, "random">> = { intervalMs: 250, spreadMs: 1_200 };

/**
 * Resolves true once a server that refused connections accepts them again (after the spread
 * pause); resolves false at once if it already accepts, or when `signal` aborts.
 */
export async function waitForComeback(addr: ServerAddress, signal: AbortSignal, options: ComebackOptions = {}): Promise<boolean> {
  const random = options.random ?? Math.random;
  const intervalMs = options.intervalMs ?? DEFAULT_COMEBACK.intervalMs;
  const spreadMs = options.spreadMs ?? DEFAULT_COMEBACK.spreadMs;
  if (signal.aborted || (await tcpAccepts(addr, 1_000))) return false;
  while (!signal.aborted) {
    await sleep(intervalMs * (0.5 + random()), signal);
    if (signal.aborted) return false;
    if (await tcpAccepts(addr, 1_000)) {
      await sleep(spreadMs * random(), signal);
      return !signal.aborted;
    }
  }
  return false;
}

/** Sleep `ms`, or less when `signal` aborts (which resolves: the caller checks `signal.aborted`). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
