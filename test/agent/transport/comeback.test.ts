import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { serviceAddress, waitForComeback } from "../../../agent/transport/comeback.js";

const servers: net.Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

function listen(port = 0): Promise<number> {
  const s = net.createServer((c) => c.destroy());
  servers.push(s);
  return new Promise((resolve) => s.listen(port, "127.0.0.1", () => resolve((s.address() as net.AddressInfo).port)));
}

async function freePort(): Promise<number> {
  const port = await listen();
  await new Promise((r) => servers.pop()!.close(r));
  return port;
}

describe("serviceAddress", () => {
  it("reads host and port, with the XMPP default ports", () => {
    expect(serviceAddress("xmpp://127.0.0.1:5999")).toStrictEqual({ host: "127.0.0.1", port: 5999 });
    expect(serviceAddress("xmpps://example.org")).toStrictEqual({ host: "example.org", port: 5223 });
    expect(serviceAddress("xmpp://[::1]")).toStrictEqual({ host: "::1", port: 5222 });
    expect(serviceAddress("not a url")).toBeUndefined();
  });
});

describe("waitForComeback", () => {
  it("returns false at once when the server already accepts (the failure was something else)", async () => {
    const port = await listen();
    const t = performance.now();
    expect(await waitForComeback({ host: "127.0.0.1", port }, new AbortController().signal)).toBe(false);
    expect(performance.now() - t).toBeLessThan(500);
  });

  it("wakes shortly after a down server starts accepting", async () => {
    const port = await freePort();
    const t = performance.now();
    const late = new Promise<number>((resolve) => setTimeout(() => resolve(listen(port)), 600));
    const back = await waitForComeback({ host: "127.0.0.1", port }, new AbortController().signal, { intervalMs: 100, spreadMs: 100 });
    const took = performance.now() - t;
    expect(back).toBe(true);
    expect(await late).toBe(port);
    expect(took).toBeGreaterThanOrEqual(600);
    expect(took).toBeLessThan(1_200);
  });

  it("stops probing when aborted", async () => {
    const port = await freePort();
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    expect(await waitForComeback({ host: "127.0.0.1", port }, abort.signal, { intervalMs: 50 })).toBe(false);
  });
});
