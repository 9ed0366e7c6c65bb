// SIGHUP reload against a live session: sensor changes apply without dropping XMPP; an
// invalid sensor map is refused with its problems and the last good config keeps serving.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import type { ReaderClient } from "../../scripts/lib/reader-client.js";
import { localXmppSection } from "../../scripts/lib/sensor-map-yaml.js";
import { runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { connectUser } from "../helpers/clients.js";
import { tearDown } from "../helpers/thing-stack.js";

const THING = "thing@localhost/gateway";
let server: ProsodyServer;
let agent: AgentProcess;
let reader: ReaderClient;
let dir: string;
let config: string;

const head = () => `${localXmppSection(server, { resource: "gateway" })}access:
  readers: [reader@localhost]
state_dir: ./state
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", value: 21.5, decimals: 1 }] }
`;

beforeAll(async () => {
  server = await startProsody({ users: ["thing", "reader"].map((u) => ({ user: u, password: `${u}-pw` })) });
  dir = await mkdtemp(path.join(tmpdir(), "thingd-reload-"));
  config = path.join(dir, "sensors.yaml");
  await writeFile(config, head());
  agent = runThingd(["run", "-c", config]);
  await agent.waitForLog((l) => l.msg === "online");
  reader = await connectUser(server, "reader");
});

afterAll(() => tearDown({ clients: [reader], agent, server, dir }));

const nodes = async () => [...new Set((await reader.read(THING, { momentary: "true" })).fields.map((f) => `${f.node}=${f.value}`))];

it("adds, changes and removes sensors on SIGHUP without a reconnect", async () => {
  expect(await nodes()).toStrictEqual(["room=21.5"]);
  await writeFile(
    config,
    head().replace("value: 21.5", "value: 19.0") +
      `  - { id: cellar, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", value: 12.25, decimals: 2 }] }\n`,
  );
  agent.child.kill("SIGHUP");
  const reloaded = await agent.waitForLog((l) => l.msg === "reloaded");
  expect(reloaded).toMatchObject({ added: ["cellar"], changed: ["room"], removed: [], kept: [] });
  expect(await nodes()).toStrictEqual(["room=19.0", "cellar=12.25"]);
  expect(agent.lines.filter((l) => l.msg === "online")).toHaveLength(1);
  expect(agent.child.exitCode).toBeNull();
});

it("refuses an invalid sensor map and keeps serving the last good one", async () => {
  await writeFile(config, head().replace("every: 1s", "every: soon"));
  agent.child.kill("SIGHUP");
  const refused = await agent.waitForLog((l) => typeof l.msg === "string" && l.msg.startsWith("reload refused"));
  expect(JSON.stringify(refused.problems)).toContain('sensors[0].every: expected a duration like \\"10s\\", got \\"soon\\"');
  expect(await nodes()).toStrictEqual(["room=19.0", "cellar=12.25"]);
  const ping = await reader.iq(xml("iq", { type: "get", to: THING }, xml("ping", { xmlns: "urn:xmpp:ping" })));
  expect(ping.attrs.type).toBe("result");
});

it("thingd status shows the running daemon: online, sensors with values and ages", async () => {
  const { spawnSync } = await import("node:child_process");
  const { MAIN } = await import("../helpers/agent-process.js");
  const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, "status", "-c", config, ...args], { encoding: "utf8" });
  await writeFile(config, head()); // valid again
  const json = run("--json");
  expect(json.status).toBe(0);
  const { live, snapshot: snap } = JSON.parse(json.stdout);
  expect(live).toBe(true);
  expect(snap.xmpp.state).toBe("online");
  expect(snap.sensors.map((s: { id: string }) => s.id)).toStrictEqual(["room", "cellar"]);
  expect(snap.sensors[0].lastValues).toStrictEqual([{ name: "temperature", value: "19.0", unit: "°C" }]);
  const text = run();
  expect(text.stdout).toMatch(/online/);
  expect(text.stdout).toMatch(/cellar/);
});
