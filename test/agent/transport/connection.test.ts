// The connection's life cycle against broken servers (plain TCP servers on loopback that reset
// or go silent): start() fails cleanly, release() frees the socket, and the TLS context is
// made once per CA.
import net from "node:net";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { createConnection, secureContextFor, type XmppConnection } from "../../../agent/transport/connection.js";

const servers: net.Server[] = [];
const conns: XmppConnection[] = [];

afterEach(async () => {
  for (const c of conns.splice(0)) c.release();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A TCP server on loopback; `onSocket` decides what the "server" does. */
async function brokenServer(onSocket: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer((s) => {
    s.on("error", () => {});
    onSocket(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen({ host: "127.0.0.1", port: 0 }, r));
  return (server.address() as net.AddressInfo).port;
}

function connect(port: number): XmppConnection {
  const conn = createConnection({
    service: `xmpp://127.0.0.1:${port}`,
    domain: "localhost",
    jid: "thing@localhost",
    password: "pw",
    resource: "gateway",
    tlsRequired: true,
  });
  conns.push(conn);
  return conn;
}

describe("createConnection", () => {
  it("a reset while the stream opens rejects start(), and leaves no unhandled rejection behind", async () => {
    // The server resets the connection as soon as the stream header arrives.
    const port = await brokenServer((s) => s.once("data", () => s.resetAndDestroy()));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      await expect(connect(port).entity.start()).rejects.toMatchObject({ code: "ECONNRESET" });
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toStrictEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("release() closes the socket of an attempt the server never answers, and start() fails at once", async () => {
    let serverSide: net.Socket | undefined;
    let closedOnServer = () => {};
    const serverClosed = new Promise<void>((resolve) => (closedOnServer = resolve));
    const port = await brokenServer((s) => {
      serverSide = s;
      s.resume(); // reads (and drops) the stream header, so the close is seen
      s.once("close", () => closedOnServer());
    });
    const conn = connect(port);
    const started = conn.entity.start();
    started.catch(() => {});
    // Once the stream header is on its way, give up on the attempt.
    conn.entity.once("opening", () => setTimeout(() => conn.release(), 20));
    await serverClosed;
    expect(serverSide?.destroyed).toBe(true);
    await expect(started).rejects.toThrow("the connection closed before the session was open");
  });

  it("makes one TLS context per CA and shares it", () => {
    const [a, b] = tls.rootCertificates;
    const context = secureContextFor(a);
    expect(secureContextFor(a)).toBe(context);
    expect(secureContextFor(b)).not.toBe(context);
    expect(secureContextFor(undefined)).toBe(secureContextFor(undefined));
  });
});
