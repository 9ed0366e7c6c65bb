// No registry configured: thingd finds the Thing Registry by service discovery on its server
// (disco#items on the domain, disco#info per item) and registers there.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { startRegistry, type TestRegistry } from "../../scripts/lib/test-registry.js";
import { localXmppSection } from "../../scripts/lib/sensor-map-yaml.js";
import { runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { tearDown } from "../helpers/thing-stack.js";

let server: ProsodyServer | undefined;
let registry: TestRegistry | undefined;
let agent: AgentProcess | undefined;
let dir: string | undefined;

afterAll(() => tearDown({ agent, components: [registry], server, dir }));

it("finds the registry by disco#items/disco#info and registers with it", async () => {
  server = await startProsody({ users: [{ user: "thing", password: "thing-pw" }], components: [{ domain: "registry.localhost", secret: "s3" }] });
  registry = await startRegistry(server, { domain: "registry.localhost", secret: "s3" });
  dir = await mkdtemp(path.join(tmpdir(), "thingd-disco-"));
  const config = path.join(dir, "sensors.yaml");
  await writeFile(
    config,
    `${localXmppSection(server, { resource: "gateway" })}registry:
  meta: { MAN: example.com }
state_dir: ./state
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: t, unit: "°C", value: 20 }] }
`,
  );
  agent = runThingd(["run", "-c", config]);
  const found = await agent.waitForLog((l) => l.msg === "found a Thing Registry by service discovery");
  expect(found.registry).toBe("registry.localhost");
  const reg = await registry.waitForRegistration((r) => r.from === "thing@localhost/gateway", 20_000);
  expect(reg.tags.MAN).toStrictEqual({ type: "str", value: "example.com" });
  await agent.waitForLog((l) => l.msg === "registered with the Thing Registry");
  const state = JSON.parse(await readFile(path.join(dir, "state", "thing-state.json"), "utf8"));
  expect([state.registry, state.status]).toStrictEqual(["registry.localhost", "REGISTERED"]);
});
