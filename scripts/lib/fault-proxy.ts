// A TCP pass-through on loopback that can fail like a crashed server: kill() drops every
// connection at once (RST, no stream close) and refuses new ones until up(). Used to drive
// many "server died" cycles fast; a real Prosody restart takes about a second.
import net from "node:net";

export interface FaultProxy {
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Drop all connections and stop listening (connects are refused). */
  kill(): Promise<void>;
  /** Listen again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const proxy: FaultProxy = {
    get port() {
      return port;
    },
    accepted: 0,
    async kill() {
      for (const s of sockets) s.resetAndDestroy();
      sockets.clear();
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    up: () => listen(port),
    close: () => proxy.kill(),
  };
  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      const srv = net.createServer((client) => {
        proxy.accepted++;
        const upstream = net.connect(target);
        sockets.add(client).add(upstream);
        const drop = () => {
          sockets.delete(client);
          sockets.delete(upstream);
          client.destroy();
          upstream.destroy();
        };
        client.on("error", drop).on("close", drop);
        upstream.on("error", drop).on("close", drop);
        client.pipe(upstream).pipe(client);
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
