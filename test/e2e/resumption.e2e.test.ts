// XEP-0198 stream resumption against a real Prosody (mod_smacks) and the real thingd process,
// connected through a loopback proxy (scripts/lib/fault-proxy.ts) that can swallow what thingd
// sends and cut the connection:
// a readout answered into a dying connection still reaches the reader, exactly once, on the
// resumed stream; a conflict is never resumed; a restarted server refuses resumption and thingd
// binds a new session (docs/reconnect.md "Stream management").
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Element } from "@xmpp/xml";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { startFaultProxy, type FaultProxy } from "../../scripts/lib/fault-proxy.js";
import { startRegistry, type TestRegistry } from "../../scripts/lib/test-registry.js";
import { ReaderClient } from "../../scripts/lib/reader-client.js";
import { runThingd, type AgentProcess, type LogLine } from "../helpers/agent-process.js";
import { tearDown } from "../helpers/thing-stack.js";
import { waitFor } from "../helpers/wait-for.js";

const NS_SD = "urn:xmpp:iot:sensordata";
const THING = "thing@localhost/gw";

let server: ProsodyServer | undefined;
let registry: TestRegistry | undefined;
let proxy: FaultProxy | undefined;
let agent: AgentProcess | undefined;
let reader: ReaderClient | undefined;
let dir: string | undefined;

beforeAll(async () => {
  server = await startProsody({
    smacks: { hibernationSeconds: 60 },
    users: ["thing", "reader", "owner"].map((u) => ({ user: u, password: `${u}-pw` })),
    components: [{ domain: "registry.localhost", secret: "registry-secret" }],
  });
  registry = await startRegistry(server, { domain: "registry.localhost", secret: "registry-secret" });
  proxy = await startFaultProxy(() => ({ host: "127.0.0.1", port: server!.c2sPort }));
  dir = await mkdtemp(path.join(tmpdir(), "thingd-resume-"));
  const config = path.join(dir, "sensors.yaml");
  await writeFile(
    config,
    `xmpp:
  service: xmpp://127.0.0.1:${proxy.port}
  jid: thing@localhost
  password: thing-pw
  resource: gw
  keepalive: 5s
  tls: { ca: ${server.caFile} }
  reconnect: { min: 200ms, max: 1s, conflict_min: 1s, conflict_max: 2s }
registry:
  jid: registry.localhost
access:
  readers: [reader@localhost]
state_dir: ./state
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", value: 21.4, decimals: 2 }] }
`,
  );
  agent = runThingd(["run", "-c", config, "--log-level", "debug"]);
  await agent.waitForLog((l) => l.msg === "registered with the Thing Registry", 30_000);
  reader = await ReaderClient.connect({
    service: server.service,
    domain: "localhost",
    jid: "reader@localhost",
    password: "reader-pw",
    ca: await readFile(server.caFile, "utf8"),
  });
}, 60_000);

afterAll(async () => {
  await tearDown({ agent, components: [registry, proxy], server, dir, clients: [reader] });
});

/** The first log line from index `from` on matching `predicate`. */
function logSince(from: number, predicate: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
  return agent!.waitForLog((l) => agent!.lines.indexOf(l) >= from && predicate(l), timeoutMs);
}

/** Log lines after index `from` matching `msg`. */
function linesSince(from: number, msg: string): LogLine[] {
  return agent!.lines.slice(from).filter((l) => l.msg === msg);
}

function answersTo(seqnr: string): { results: Element[]; done: Element[] } {
  const received = reader!.received;
  return {
    results: received.filter((el) => el.name === "iq" && el.attrs.id === `sm-${seqnr}`),
    done: received.filter((el) => el.name === "message" && el.getChildElements().some((c) => c.attrs.xmlns === NS_SD && c.attrs.seqnr === seqnr && c.attrs.done === "true")),
  };
}

it("enables stream management with resumption on a server that offers it", () => {
  const online = agent!.lines.find((l) => l.msg === "online");
  expect(online?.streamManagement).toBe(true);
  expect(agent!.lines.some((l) => l.msg === "stream management enabled" && typeof l.id === "string")).toBe(true);
});

it("a readout answered into a connection that dies reaches the reader once, on the resumed stream", async () => {
  const mark = agent!.lines.length;
  const registrations = registry!.registrations.length;
  const seqnr = "101";
  // From now on, what thingd writes is lost on the wire; what the server sends still arrives.
  proxy!.hole = true;
  const swallowedBefore = proxy!.swallowed;
  const { xml } = await import("@xmpp/xml");
  await reader!.conn.entity.send(xml("iq", { type: "get", to: THING, id: `sm-${seqnr}` }, xml("req", { xmlns: NS_SD, seqnr, momentary: "true" })));
  // thingd received the request and wrote its answer (into the hole).
  await waitFor(() => proxy!.swallowed > swallowedBefore, "thingd to answer into the hole", 10_000);
  await sleep(100); // the answer is two stanzas; let both go into the hole
  expect(answersTo(seqnr).results).toHaveLength(0);
  proxy!.cut();

  const resumed = await logSince(mark, (l) => l.msg === "stream resumed", 20_000);
  expect(resumed.resent).toBeGreaterThanOrEqual(1);
  await waitFor(() => answersTo(seqnr).done.length > 0 || undefined, "the readout's data on the reader", 10_000);
  await sleep(1_500); // anything sent twice would have arrived by now
  const { results, done } = answersTo(seqnr);
  expect(results).toHaveLength(1);
  expect(results[0]!.attrs.type).toBe("result");
  expect(done).toHaveLength(1);
  // The session went on: no new bind, no second initial presence, no registry round trip.
  expect(linesSince(mark, "online")).toHaveLength(0);
  expect(linesSince(mark, "stream resumption refused; starting a new session")).toHaveLength(0);
  expect(registry!.registrations.length).toBe(registrations);
  // And it still answers.
  const res = await reader!.read(THING, { seqnr: "102", momentary: "true" });
  expect(res.fields.find((f) => f.name === "temperature")?.value).toBe("21.40");
}, 60_000);

it("a readout whose data are produced while the connection is down is delivered on resumption", async () => {
  const mark = agent!.lines.length;
  const seqnr = "103";
  const { xml } = await import("@xmpp/xml");
  // Deferred by 1 s: <accepted queued='true'/> now, the data while the link is down.
  const when = new Date(Date.now() + 1_000).toISOString();
  const reply = await reader!.iq(xml("iq", { type: "get", to: THING, id: `sm-${seqnr}` }, xml("req", { xmlns: NS_SD, seqnr, momentary: "true", when })));
  expect(reply.attrs.type).toBe("result");
  proxy!.down = true;
  proxy!.cut();
  // Stay down until after the data are due (reconnect attempts fail meanwhile), then come back.
  await logSince(mark, (l) => l.msg === "XMPP connect failed", 10_000);
  await sleep(2_000);
  expect(answersTo(seqnr).done).toHaveLength(0);
  proxy!.down = false;
  const resumed = await logSince(mark, (l) => l.msg === "stream resumed", 20_000);
  expect(resumed.resent).toBeGreaterThanOrEqual(1); // the data, queued while down
  await waitFor(() => answersTo(seqnr).done.length > 0 || undefined, "the deferred readout's data", 10_000);
  await sleep(1_500);
  expect(answersTo(seqnr).done).toHaveLength(1);
  expect(linesSince(mark, "online")).toHaveLength(0);
}, 60_000);

it("a request lost on its way to thingd is delivered on resumption and answered once, also after a second blip", async () => {
  const mark = agent!.lines.length;
  const seqnr = "110";
  const { xml } = await import("@xmpp/xml");
  proxy!.holeIn = true; // what the server sends thingd from now on is lost
  const before = proxy!.swallowedIn;
  await reader!.conn.entity.send(xml("iq", { type: "get", to: THING, id: `sm-${seqnr}` }, xml("req", { xmlns: NS_SD, seqnr, momentary: "true" })));
  await waitFor(() => proxy!.swallowedIn > before, "the request to be lost on its way to thingd", 10_000);
  proxy!.cut();
  await logSince(mark, (l) => l.msg === "stream resumed", 20_000);
  await waitFor(() => answersTo(seqnr).done.length > 0 || undefined, "the answer to the request the server resent", 10_000);
  // thingd counted the resent request: after another blip the server must not deliver it again.
  const second = agent!.lines.length;
  proxy!.cut();
  await logSince(second, (l) => l.msg === "stream resumed", 20_000);
  const res = await reader!.read(THING, { seqnr: "111", momentary: "true" });
  expect(res.fields.find((f) => f.name === "temperature")?.value).toBe("21.40");
  await sleep(1_000);
  const { results, done } = answersTo(seqnr);
  expect(results).toHaveLength(1);
  expect(done).toHaveLength(1);
  expect(linesSince(mark, "online")).toHaveLength(0);
}, 60_000);

it("after a conflict (another login took the resource) it does not try to resume", async () => {
  const mark = agent!.lines.length;
  const other = await ReaderClient.connect({
    service: server!.service,
    domain: "localhost",
    jid: "thing@localhost",
    password: "thing-pw",
    resource: "gw",
    ca: await readFile(server!.caFile, "utf8"),
  });
  await logSince(mark, (l) => typeof l.msg === "string" && l.msg.startsWith("another client logged in as"), 10_000);
  await other.stop();
  // Back after the conflict back-off (1–2 s here), as a new session.
  await logSince(mark, (l) => l.msg === "online", 15_000);
  expect(linesSince(mark, "resuming the stream")).toHaveLength(0);
  expect(linesSince(mark, "stream resumed")).toHaveLength(0);
  const res = await reader!.read(THING, { seqnr: "104", momentary: "true" });
  expect(res.fields.find((f) => f.name === "temperature")?.value).toBe("21.40");
}, 60_000);

it("a restarted server has lost the session: resumption is refused, thingd binds anew and answers", async () => {
  const mark = agent!.lines.length;
  await reader!.stop();
  reader = undefined;
  await server!.restart();
  const refused = await logSince(mark, (l) => l.msg === "stream resumption refused; starting a new session", 20_000);
  expect(refused.condition).toBe("item-not-found");
  await logSince(mark, (l) => l.msg === "online", 20_000);
  expect(linesSince(mark, "resuming the stream").length).toBeGreaterThanOrEqual(1);
  reader = await ReaderClient.connect({
    service: server!.service,
    domain: "localhost",
    jid: "reader@localhost",
    password: "reader-pw",
    ca: await readFile(server!.caFile, "utf8"),
  });
  const res = await reader.read(THING, { seqnr: "105", momentary: "true" });
  expect(res.fields.find((f) => f.name === "temperature")?.value).toBe("21.40");
}, 60_000);
