// The chaos suite's test rig: a real Prosody on loopback, the test Thing Registry component,
// the real thingd process (dist/agent/main.js), and reader clients (owner, reader, stranger).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { xml, type Element } from "@xmpp/xml";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { startRegistry, type TestRegistry } from "../../scripts/lib/test-registry.js";
import { ReaderClient } from "../../scripts/lib/reader-client.js";
import { localXmppSection } from "../../scripts/lib/sensor-map-yaml.js";
import { runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { NS_STANZAS } from "../../agent/protocol/ns.js";

export const THING = "thing@localhost/gateway";
export const USERS = ["thing", "owner", "reader", "stranger"] as const;

export interface Rig {
  server: ProsodyServer;
  registry: TestRegistry;
  agent: AgentProcess;
  dir: string;
  /** A new client for `user` (its password is `<user>-pw`); stopped by close(). */
  client(user: (typeof USERS)[number], resource?: string): Promise<ReaderClient>;
  /** Claim the Thing for owner@localhost through the registry and wait until it is stored. */
  claim(): Promise<void>;
  close(): Promise<void>;
}

export interface RigOptions {
  /** The `sensors:` list (YAML, indented by two spaces), plus any other top-level sections. */
  body: string;
  keepalive?: string;
}

export async function startRig(o: RigOptions): Promise<Rig> {
  const server = await startProsody({
    users: USERS.map((u) => ({ user: u, password: `${u}-pw` })),
    components: [{ domain: "registry.localhost", secret: "registry-secret" }],
  });
  const ca = await readFile(server.caFile, "utf8");
  const registry = await startRegistry(server, { domain: "registry.localhost", secret: "registry-secret" });
  const dir = await mkdtemp(path.join(tmpdir(), "thingd-chaos-"));
  await writeFile(path.join(dir, "secret"), "thing-pw\n");
  await writeFile(
    path.join(dir, "sensors.yaml"),
    `${localXmppSection(server, { resource: "gateway", passwordFile: "./secret", keepalive: o.keepalive ?? "60s" })}registry:
  jid: registry.localhost
access:
  readers: [reader@localhost]
state_dir: ./state
${o.body}`,
  );
  const agent = runThingd(["run", "-c", path.join(dir, "sensors.yaml"), "--log-level", "debug"]);
  await agent.waitForLog((l) => l.msg === "registered with the Thing Registry", 30_000);
  const clients: ReaderClient[] = [];
  return {
    server,
    registry,
    agent,
    dir,
    async client(user, resource) {
      const c = await ReaderClient.connect({ service: server.service, domain: "localhost", jid: `${user}@localhost`, password: `${user}-pw`, ca, ...(resource ? { resource } : {}) });
      clients.push(c);
      return c;
    },
    async claim() {
      const reply = await registry.claim(THING, "owner@localhost");
      if (reply.attrs.type !== "result") throw new Error(`claim failed: ${reply.toString()}`);
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.stop()));
      await agent.stop("SIGKILL");
      await registry.stop();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** [error type, condition] of an IQ error reply (undefined parts if it is not one). */
export function errorOf(reply: Element): [string | undefined, string | undefined] {
  const err = reply.getChild("error");
  const cond = err?.getChildElements().find((c) => c.getNS() === NS_STANZAS && c.name !== "text");
  return [err?.attrs.type, cond?.name];
}

export const pingStanza = (to = THING) => xml("iq", { type: "get", to }, xml("ping", { xmlns: "urn:xmpp:ping" }));

/** VmRSS of a process in KiB (Linux). */
export async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}
