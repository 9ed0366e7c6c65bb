// The chaos suite's test rig: a real Prosody on loopback, the test Thing Registry component,
// the real thingd process (dist/agent/main.js), and reader clients (owner, reader, stranger).
import { readFile } from "node:fs/promises";
import { xml } from "@xmpp/xml";
import type { ProsodyServer } from "../../scripts/lib/local-prosody.js";
import type { TestRegistry } from "../../scripts/lib/test-registry.js";
import type { ReaderClient } from "../../scripts/lib/reader-client.js";
import { localXmppSection } from "../../scripts/lib/sensor-map-yaml.js";
import type { AgentProcess } from "../helpers/agent-process.js";
import { ClientPool } from "../helpers/clients.js";
import { startThingStack, tearDown } from "../helpers/thing-stack.js";

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
  const { server, registry, agent, dir } = await startThingStack({
    users: USERS,
    tmpPrefix: "thingd-chaos-",
    sensorMap: (s) => `${localXmppSection(s, { resource: "gateway", passwordFile: "./secret", keepalive: o.keepalive ?? "60s" })}registry:
  jid: registry.localhost
access:
  readers: [reader@localhost]
state_dir: ./state
${o.body}`,
  });
  const clients = new ClientPool(() => server);
  return {
    server,
    registry,
    agent,
    dir,
    client: clients.client,
    async claim() {
      const reply = await registry.claim(THING, "owner@localhost");
      if (reply.attrs.type !== "result") throw new Error(`claim failed: ${reply.toString()}`);
    },
    close: () => tearDown({ clients, agent, components: [registry], server, dir }),
  };
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
