// A TCP pass-through on loopback that can fail like a crashed server or a lossy link:
// - kill() drops every connection at once (RST, no stream close) and refuses new ones until up()
//   (many "server died" cycles fast; a real Prosody restart takes about a second);
// - `down`: new connections are accepted and reset at once;
// - `hole` / `holeIn`: bytes the client writes (hole) or the server writes (holeIn) are counted
//   and dropped while the connection stays up (a stanza lost on the wire), until cut() resets
//   every connection and closes the holes.
import net from "node:net";

export interface FaultProxy {
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  hole: boolean;
  holeIn: boolean;
  /** Bytes dropped by `hole` / `holeIn`. */
  swallowed: number;
  swallowedIn: number;
  down: boolean;
  /** Reset every connection (both sides) and close the holes; keep listening. */
  cut(): void;
  /** Drop all connections and stop listening (connects are refused). */
  kill(): Promise<void>;
  /** Listen again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
  /** Same as close(), for tear-down helpers. */
  stop(): Promise<void>;
}

type Target = { host: string; port: number };

/** `target`: where to connect, or a function asked at each connection (a server that moved). */
export async function startFaultProxy(target: Target | (() => Target)): Promise<FaultProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const proxy: FaultProxy = {
    get port() {
      return port;
    },
    accepted: 0,
    hole: false,
    holeIn: false,
    swallowed: 0,
    swallowedIn: 0,
    down: false,
    cut() {
      for (const s of sockets) s.resetAndDestroy();
      sockets.clear();
      proxy.hole = false;
      proxy.holeIn = false;
    },
    async kill() {
      proxy.cut();
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    up: () => listen(port),
    close: () => proxy.kill(),
    stop: () => proxy.kill(),
  };
  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      const srv = net.createServer((client) => {
        if (proxy.down) return void client.resetAndDestroy();
        proxy.accepted++;
        const upstream = net.connect(typeof target === "function" ? target() : target);
        sockets.add(client).add(upstream);
        const drop = () => {
          sockets.delete(client);
          sockets.delete(upstream);
          client.destroy();
          upstream.destroy();
        };
        client.on("error", drop).on("close", drop);
        upstream.on("error", drop).on("close", drop);
        client.on("data", (d: Buffer) => {
          if (proxy.hole) proxy.swallowed += d.length;
          else upstream.write(d);
        });
        upstream.on("data", (d: Buffer) => {
          if (proxy.holeIn) proxy.swallowedIn += d.length;
          else client.write(d);
        });
      });
      srv.once("error", reject);
      srv.listen({ host: "127.0.0.1", port: p }, () => {
        const addr = srv.address();
        if (addr && typeof addr === "object") port = addr.port;
        server = srv;
        resolve();
      });
    });
  await listen(0);
  return proxy;
}
