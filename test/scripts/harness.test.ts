// Smoke test of the e2e harness: a real Prosody (scripts/lib/local-prosody.ts) plus the
// XEP-0347 test registry component (scripts/lib/test-registry.ts), exercised with a raw
// c2s client (plain sockets, no xmpp.js) so that it does not depend on the code under test.
import { access, readFile } from "node:fs/promises";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";

import { xml } from "@xmpp/component";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { freePort, freePorts } from "../../scripts/lib/free-port.js";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { startRegistry, type TestRegistry } from "../../scripts/lib/test-registry.js";

const STREAM_HEADER =
  "<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' " +
  "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

/** Just enough of a c2s client to drive the harness: raw XML in, regex waits out. */
class RawStream {
  private buf = "";
  private cursor = 0;
  private listeners = new Set<() => void>();
  closed = false;

  constructor(public socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  attach(socket: Socket | TLSSocket): void {
    this.socket = socket;
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      this.buf += d;
      for (const l of [...this.listeners]) l();
    });
    socket.on("close", () => {
      this.closed = true;
      for (const l of [...this.listeners]) l();
    });
    socket.on("error", () => {});
  }

  send(s: string): void {
    this.socket.write(s);
  }

  /** Waits until the data received since the last match contains `re`; returns the match. */
  waitFor(re: RegExp, timeoutMs = 5_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const rest = this.buf.slice(this.cursor);
        const m = rest.match(re);
        if (m && m.index !== undefined) {
          this.cursor += m.index + m[0].length;
          done();
          resolve(m);
        } else if (this.closed) {
          done();
          reject(new Error(`stream closed while waiting for ${re}; unread: ${rest}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timeout waiting for ${re}; unread: ${this.buf.slice(this.cursor)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Drops everything received so far (used before a TLS upgrade). */
  reset(): void {
    this.buf = "";
    this.cursor = 0;
  }
}

function tcp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: "127.0.0.1", port });
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

/** TCP → STARTTLS → verified TLS (CA = caFile, name "localhost"). */
async function starttls(server: ProsodyServer): Promise<{ stream: RawStream; tls: TLSSocket; features: string }> {
  const raw = await tcp(server.c2sPort);
  const stream = new RawStream(raw);
  stream.send(STREAM_HEADER);
  const [features] = await stream.waitFor(/<stream:features[\s\S]*?<\/stream:features>/);
  stream.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  await stream.waitFor(/<proceed\b/);
  raw.removeAllListeners("data");
  raw.removeAllListeners("close");
  stream.reset();
  const ca = await readFile(server.caFile);
  const tls = await new Promise<TLSSocket>((resolve, reject) => {
    const t = tlsConnect({ socket: raw, ca, servername: "localhost" }, () => resolve(t));
    t.once("error", reject);
  });
  stream.attach(tls);
  return { stream, tls, features };
}

/** STARTTLS + SASL PLAIN + resource binding; returns the bound full JID. */
async function login(server: ProsodyServer, user: string, password: string, resource: string) {
  const { stream, tls } = await starttls(server);
  stream.send(STREAM_HEADER);
  const [mechs] = await stream.waitFor(/<stream:features[\s\S]*?<\/stream:features>/);
  expect(mechs).toContain("<mechanism>PLAIN</mechanism>");
  const creds = Buffer.from(`\0${user}\0${password}`).toString("base64");
  stream.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${creds}</auth>`);
  const [outcome] = await stream.waitFor(/<success\b[^>]*(\/>|>[\s\S]*?<\/success>)|<failure\b[\s\S]*?<\/failure>/);
  if (!outcome.startsWith("<success")) throw new Error(`SASL failed: ${outcome}`);
  stream.send(STREAM_HEADER);
  await stream.waitFor(/<stream:features[\s\S]*?<\/stream:features>/);
  stream.send(
    `<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`,
  );
  const m = await stream.waitFor(/<jid>([^<]+)<\/jid>/);
  await stream.waitFor(/<\/iq>/);
  return { stream, tls, jid: m[1]! };
}

/** Sends an IQ and waits for the reply carrying the same id. */
async function iq(stream: RawStream, id: string, stanza: string): Promise<string> {
  stream.send(stanza);
  const re = new RegExp(`<iq\\b(?=[^>]*\\bid=['"]${id}['"])[^>]*?(\\/>|>[\\s\\S]*?<\\/iq>)`);
  const [reply] = await stream.waitFor(re);
  return reply;
}

describe("free-port", () => {
  it("returns usable distinct ports", async () => {
    const p = await freePort();
    expect(p).toBeGreaterThan(0);
    const [a, b, c] = await freePorts(3);
    expect(new Set([a, b, c]).size).toBe(3);
  });
});

describe("e2e harness: real Prosody + XEP-0347 test registry", () => {
  let server: ProsodyServer;
  let registry: TestRegistry;

  beforeAll(async () => {
    server = await startProsody({
      users: [{ user: "thing", password: "thing-pw" }],
      components: [{ domain: "registry.localhost", secret: "registry-secret" }],
    });
    registry = await startRegistry(server);
  });

  afterAll(async () => {
    await registry?.stop();
    await server?.stop();
  });

  it("describes itself", () => {
    expect(server.domain).toBe("localhost");
    expect(server.service).toBe(`xmpp://127.0.0.1:${server.c2sPort}`);
    expect(server.c2sPort).not.toBe(server.componentPort);
    expect(registry.domain).toBe("registry.localhost");
    expect(registry.isOnline()).toBe(true);
  });

  it("offers STARTTLS and the TLS certificate verifies against caFile for 'localhost'", async () => {
    const { stream, tls, features } = await starttls(server);
    expect(features).toMatch(/<starttls\b[^>]*urn:ietf:params:xml:ns:xmpp-tls/);
    // encryption is required: no SASL before TLS
    expect(features).not.toContain("<mechanisms");
    expect(tls.authorized).toBe(true);
    expect(tls.getPeerCertificate().subject.CN).toBe("localhost");
    stream.send(STREAM_HEADER);
    const [after] = await stream.waitFor(/<stream:features[\s\S]*?<\/stream:features>/);
    expect(after).toContain("<mechanisms");
    tls.destroy();
  });

  it("the registry component answers disco#info over c2s and Prosody lists it in disco#items", async () => {
    const { stream, tls } = await login(server, "thing", "thing-pw", "disco");
    const info = await iq(
      stream,
      "d1",
      "<iq type='get' to='registry.localhost' id='d1'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    );
    expect(info).toMatch(/type=["']result["']/);
    expect(info).toMatch(/<identity[^>]*category=["']component["']/);
    expect(info).toMatch(/<feature[^>]*var=["']urn:xmpp:iot:discovery["']/);

    const items = await iq(
      stream,
      "d2",
      "<iq type='get' to='localhost' id='d2'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
    );
    expect(items).toMatch(/<item[^>]*jid=["']registry\.localhost["']/);

    const unknown = await iq(
      stream,
      "d3",
      "<iq type='get' to='registry.localhost' id='d3'><query xmlns='urn:example:nope'/></iq>",
    );
    expect(unknown).toMatch(/type=["']error["']/);
    expect(unknown).toContain("service-unavailable");
    tls.destroy();
  });

  it("records <register/>, pushes <claimed/> and answers later registers as claimed", async () => {
    const { stream, tls, jid } = await login(server, "thing", "thing-pw", "imc");
    expect(jid).toBe("thing@localhost/imc");
    const register =
      "<register xmlns='urn:xmpp:iot:discovery'><str name='SN' value='00000000a1b2c3d4'/>" +
      "<str name='MAN' value='example.com'/><num name='V' value='1.0'/><str name='KEY' value='k1'/></register>";

    const r1 = await iq(stream, "r1", `<iq type='set' to='registry.localhost' id='r1'>${register}</iq>`);
    expect(r1).toMatch(/type=["']result["']/);
    expect(r1).not.toContain("claimed");
    const rec = await registry.waitForRegistration((r) => r.from === jid);
    expect(rec.tags).toEqual({
      SN: { type: "str", value: "00000000a1b2c3d4" },
      MAN: { type: "str", value: "example.com" },
      V: { type: "num", value: "1.0" },
      KEY: { type: "str", value: "k1" },
    });
    expect(rec.selfOwned).toBe(false);

    // claim: the registry pushes <claimed/> to the thing; the thing (this raw client) answers
    const claimReply = registry.claim(jid, "owner@localhost", false);
    const [push] = await stream.waitFor(/<iq\b[^>]*>[\s\S]*?<\/iq>/);
    expect(push).toMatch(/type=["']set["']/);
    expect(push).toMatch(/<claimed[^>]*xmlns=["']urn:xmpp:iot:discovery["']/);
    expect(push).toMatch(/jid=["']owner@localhost["']/);
    expect(push).toMatch(/public=["']false["']/);
    const pushId = /id=["']([^"']+)["']/.exec(push)![1]!;
    stream.send(`<iq type='result' to='registry.localhost' id='${pushId}'/>`);
    const reply = await claimReply;
    expect(reply.attrs.type).toBe("result");
    expect(reply.attrs.from).toBe(jid);

    const r2 = await iq(stream, "r2", `<iq type='set' to='registry.localhost' id='r2'>${register}</iq>`);
    expect(r2).toMatch(/<claimed[^>]*jid=["']owner@localhost["']/);
    expect(registry.registrations.filter((r) => r.from === jid)).toHaveLength(2);

    // push(): generic IQ set, resolves with error replies too
    const pushed = registry.push(jid, xml("removed", { xmlns: "urn:xmpp:iot:discovery" }));
    const [p2] = await stream.waitFor(/<iq\b[^>]*>[\s\S]*?<\/iq>/);
    const p2Id = /id=["']([^"']+)["']/.exec(p2)![1]!;
    stream.send(
      `<iq type='error' to='registry.localhost' id='${p2Id}'><error type='cancel'>` +
        "<forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    );
    const errReply = await pushed;
    expect(errReply.attrs.type).toBe("error");
    expect(errReply.getChild("error")?.getChild("forbidden")).toBeDefined();
    expect(registry.errors).toEqual([]);
    tls.destroy();
  });

  it("addUser works while Prosody runs", async () => {
    await server.addUser("late", "late-pw");
    const { jid, tls } = await login(server, "late", "late-pw", "x");
    expect(jid).toBe("late@localhost/x");
    tls.destroy();
  });

  it("kill() drops the port, restart() brings it back with data kept, the registry reconnects", async () => {
    await server.kill();
    await expect(tcp(server.c2sPort)).rejects.toThrow(/ECONNREFUSED/);
    await server.restart();
    const { tls } = await starttls(server);
    expect(tls.authorized).toBe(true);
    tls.destroy();
    await registry.waitOnline(10_000);
    // accounts survived; the claim is remembered by the registry
    const { stream, tls: tls2, jid } = await login(server, "late", "late-pw", "y");
    expect(jid).toBe("late@localhost/y");
    const info = await iq(
      stream,
      "d9",
      "<iq type='get' to='registry.localhost' id='d9'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    );
    expect(info).toContain("urn:xmpp:iot:discovery");
    tls2.destroy();
    expect(registry.errors).toEqual([]);
  });

  it("the registry can be stopped and started again", async () => {
    const authenticated = async () =>
      (await readFile(server.logFile, "utf8")).match(/registry\.localhost:component\s+info\s+External component successfully authenticated/g)
        ?.length ?? 0;
    const before = await authenticated();
    expect(before).toBeGreaterThan(0);
    await registry.stop();
    expect(registry.isOnline()).toBe(false);
    registry = await startRegistry(server);
    expect(registry.isOnline()).toBe(true);
    expect(await authenticated()).toBe(before + 1);
  });

  it("stop() terminates Prosody and removes its temp dir", async () => {
    await registry.stop();
    const dir = server.dir;
    await server.stop();
    await expect(access(dir)).rejects.toThrow();
    await expect(tcp(server.c2sPort)).rejects.toThrow(/ECONNREFUSED/);
  });
});
