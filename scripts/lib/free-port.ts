import { createServer } from "node:net";

/**
 * Returns a TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read the
 * port the kernel picked, close). There is a small race until the caller binds it.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === "string") {
        srv.close();
        reject(new Error("freePort: could not read the bound address"));
        return;
      }
      const { port } = addr;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** Returns `count` distinct free ports (all are held open together, then closed). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const srv = createServer();
      srv.unref();
      return new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        srv.once("error", reject);
        srv.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => resolve(srv));
      });
    }),
  );
  const ports = servers.map((srv) => {
    const addr = srv.address();
    if (addr === null || typeof addr === "string") throw new Error("freePorts: could not read the bound address");
    return addr.port;
  });
  await Promise.all(servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
  return ports;
}
