// End to end, the XEP-0347 lifecycle after the first registration (docs/protocol.md §2.2–§2.7):
// claim (owner reads, stranger refused, mutual subscription, KEY blanked), pushes only from
// the registry, update of changed tags across a restart, update refused (item-not-found),
// removed, disowned (roster remove, registered again), `thingd unregister`, an IEEE-namespace
// registry, and the claim code in the start-up log. Real Prosody, test registry component,
// thingd run from dist/.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { NS_DISCOVERY_IEEE, startRegistry, type TestRegistry } from "../../scripts/lib/test-registry.js";
import { localXmppSection } from "../../scripts/lib/sensor-map-yaml.js";
import { MAIN, runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { NS_DISCOVERY } from "../../agent/protocol/ns.js";
import { ClientPool } from "../helpers/clients.js";
import { presenceOf as presence } from "../helpers/stanzas.js";
import { tearDown } from "../helpers/thing-stack.js";
import { ROOM_SENSOR } from "../helpers/sensor-maps.js";

const THING = "thing@localhost/gateway";
let server: ProsodyServer;
let registry: TestRegistry;
let ieee: TestRegistry | undefined;
let jidRegistry: TestRegistry | undefined;
let agent: AgentProcess | undefined;
let dir: string;
// A resource of its own: a second client with the same one would kick the first off.
const clients = new ClientPool(() => server, { ownResource: true, roster: true });
const client = clients.client;

async function writeConfig(meta: string, registryJid = "registry.localhost", stateDir = "./state"): Promise<string> {
  const file = path.join(dir, "sensors.yaml");
  await writeFile(
    file,
    `${localXmppSection(server, { resource: "gateway", keepalive: "5s" })}registry:
  jid: ${registryJid}
  meta: ${meta}
state_dir: ${stateDir}
sensors:
${ROOM_SENSOR}`,
  );
  return file;
}

async function start(): Promise<AgentProcess> {
  agent = runThingd(["run", "-c", path.join(dir, "sensors.yaml"), "--log-level", "debug"]);
  await agent.waitForLog((l) => l.msg === "online", 30_000);
  return agent;
}

async function restart(): Promise<AgentProcess> {
  expect(await agent!.stop("SIGTERM")).toBe(0);
  return start();
}

async function state(stateDir = "state"): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(dir, stateDir, "thing-state.json"), "utf8")) as Record<string, unknown>;
}

/** `thingd unregister`; not spawnSync: the test registry lives in this process and must answer meanwhile. */
function unregisterCli(): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, "unregister", "-c", path.join(dir, "sensors.yaml")]);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(async () => {
  server = await startProsody({
    users: ["thing", "owner", "stranger", "registry"].map((u) => ({ user: u, password: `${u}-pw` })),
    components: [
      { domain: "registry.localhost", secret: "registry-secret" },
      { domain: "ieee.localhost", secret: "ieee-secret" },
    ],
  });
  registry = await startRegistry(server, { domain: "registry.localhost" });
  dir = await mkdtemp(path.join(tmpdir(), "thingd-lifecycle-"));
  await writeConfig("{ MAN: example.com, MODEL: pi-gateway, V: 1.5 }");
});

afterAll(() => tearDown({ clients, agent, components: [registry, ieee, jidRegistry], server, dir }));

describe("XEP-0347 lifecycle against Prosody", () => {
  it("logs once that it is unclaimed: the iotdisco: URI without the KEY, pointing at thingd claim", async () => {
    await start();
    const reg = await registry.waitForRegistration((r) => r.from === THING, 20_000);
    const line = await agent!.waitForLog((l) => typeof l.uri === "string");
    // SN comes from this machine (board serial or machine-id), so compare against what was registered.
    const sn = reg.tags.SN ? `SN=${reg.tags.SN.value};` : "";
    expect(line.uri).toBe(`iotdisco:${sn}MAN=example.com;MODEL=pi-gateway;#V=1.5;R=registry.localhost`);
    expect(line.msg).toContain("thingd claim");
    expect(agent!.lines.filter((l) => typeof l.uri === "string")).toHaveLength(1);
    // The KEY lets anyone claim the Thing: it is in no log line.
    const key = reg.tags.KEY!.value;
    expect(agent!.lines.map((l) => JSON.stringify(l)).join("\n") + agent!.stderr.join("")).not.toContain(key);
  });

  it("refuses registry pushes from anyone but the registry, in both namespaces", async () => {
    const stranger = await client("stranger");
    for (const ns of [NS_DISCOVERY, NS_DISCOVERY_IEEE]) {
      for (const name of ["claimed", "removed", "disowned"]) {
        const r = await stranger.iq(xml("iq", { type: "set", to: THING }, xml(name, { xmlns: ns, jid: "stranger@localhost" })));
        expect([name, r.attrs.type, r.getChild("error")?.getChild("forbidden") !== undefined]).toStrictEqual([name, "error", true]);
      }
    }
    expect((await state()).status).toBe("REGISTERED");
  });

  it("claim: subscribes to the owner, blanks the KEY, owner reads and a stranger is refused", async () => {
    const owner = await client("owner");
    const subscribe = owner.waitFor(presence("subscribe"));
    registry.updates.length = 0;
    const reply = await registry.claim(THING, "owner@localhost");
    expect(reply.attrs.type).toBe("result");
    await subscribe;
    await owner.conn.entity.send(xml("presence", { type: "subscribed", to: "thing@localhost" }));
    // The owner subscribes back; the Thing approves its owner.
    const approved = owner.waitFor(presence("subscribed"));
    await owner.conn.entity.send(xml("presence", { type: "subscribe", to: "thing@localhost" }));
    await approved;

    const update = await registry.waitForUpdate((u) => u.from === THING);
    expect(update.tags).toStrictEqual({ KEY: { type: "str", value: "" } });
    await expect.poll(async () => (await state()).keyCleared).toBe(true);
    expect(await state()).toMatchObject({ status: "CLAIMED", owner: "owner@localhost", isPublic: true });

    const read = await owner.read(THING, { momentary: "true" });
    expect(read.fields.map((f) => f.value)).toStrictEqual(["21.40"]);
    const stranger = await client("stranger");
    const refused = await stranger.read(THING, { momentary: "true" });
    expect(refused.reply.getChild("error")?.getChild("forbidden")).toBeDefined();
  });

  it("restart with the same tags: no register, no update; with changed tags: an update of only the changes", async () => {
    registry.registrations.length = 0;
    registry.updates.length = 0;
    await restart();
    await agent!.waitForLog((l) => l.msg === "meta tags unchanged; no update");
    expect(registry.updates).toStrictEqual([]);

    await writeConfig("{ MAN: example.com, MODEL: pi-gateway-2, V: 1.5, ROOM: cellar }");
    await restart();
    const update = await registry.waitForUpdate((u) => u.from === THING);
    expect(update.tags).toStrictEqual({ MODEL: { type: "str", value: "pi-gateway-2" }, ROOM: { type: "str", value: "cellar" } });
    await agent!.waitForLog((l) => l.msg === "meta tags updated in the registry");
    expect(registry.registrations).toStrictEqual([]);
    expect((await state()).sentTags).toMatchObject({ MODEL: "pi-gateway-2", ROOM: "cellar", KEY: "" });
  });

  it("an update answered item-not-found means removed: no more updates, still owned", async () => {
    registry.updateReply = "item-not-found";
    await writeConfig("{ MAN: example.com, MODEL: pi-gateway-3, V: 1.5 }");
    await restart();
    await registry.waitForUpdate((u) => u.tags.MODEL?.value === "pi-gateway-3");
    await expect.poll(async () => (await state()).status).toBe("REMOVED");
    registry.updateReply = "ok";
    registry.updates.length = 0;
    await restart();
    await agent!.waitForLog((l) => l.msg === "already claimed; not registering again" && l.status === "REMOVED");
    expect(registry.updates).toStrictEqual([]);
    const owner = await client("owner");
    expect((await owner.read(THING, { momentary: "true" })).reply.attrs.type).toBe("result");
  });

  it("disowned: forgets the owner, removes it from the roster, registers again", async () => {
    const owner = clients.first("owner");
    const unsubscribed = owner.waitFor(presence("unsubscribed"));
    registry.registrations.length = 0;
    const reply = await registry.disown(THING);
    expect(reply.attrs.type).toBe("result");
    await unsubscribed.catch((err: Error) => {
      throw new Error(`${err.message}\n${agent!.lines.slice(-20).map((l) => JSON.stringify(l)).join("\n")}`);
    }); // the server tells the owner once the Thing removed it from its roster
    const reg = await registry.waitForRegistration((r) => r.from === THING, 20_000);
    expect(reg.tags.KEY?.value).toBe((await state()).key);
    await expect.poll(async () => (await state()).status).toBe("REGISTERED");
    expect((await state()).owner).toBeUndefined();
    const refused = await owner.read(THING, { momentary: "true" });
    expect(refused.reply.getChild("error")?.getChild("forbidden")).toBeDefined();
  });

  it("removed push: REMOVED, and a restart with changed tags sends no update", async () => {
    await registry.claim(THING, "owner@localhost");
    await registry.waitForUpdate((u) => u.from === THING && u.tags.KEY?.value === "");
    const reply = await registry.remove(THING);
    expect(reply.attrs.type).toBe("result");
    await expect.poll(async () => (await state()).status).toBe("REMOVED");
    registry.updates.length = 0;
    await writeConfig("{ MAN: example.com, MODEL: pi-gateway-4, V: 2 }");
    await restart();
    await agent!.waitForLog((l) => l.msg === "already claimed; not registering again" && l.status === "REMOVED");
    expect(registry.updates).toStrictEqual([]);
  });

  it("thingd unregister: <unregister/> to the registry, state UNREGISTERED, KEY kept", async () => {
    expect(await agent!.stop("SIGTERM")).toBe(0);
    agent = undefined;
    const before = await state();
    const run = await unregisterCli();
    expect([run.status, run.stderr]).toStrictEqual([0, ""]);
    expect(run.stdout).toMatch(/^Unregistered from registry\.localhost \(was REMOVED, owner owner@localhost\)/);
    await registry.waitForUnregister("thing@localhost/gateway-unregister");
    const after = await state();
    expect([after.status, after.key, after.owner]).toStrictEqual(["UNREGISTERED", before.key, undefined]);
  });

  it("speaks urn:ieee:iot:disco:1.0 to a registry that advertises it", async () => {
    ieee = await startRegistry(server, { domain: "ieee.localhost", namespace: NS_DISCOVERY_IEEE });
    await writeConfig("{ MAN: example.com }", "ieee.localhost", "./state-ieee");
    await start();
    const reg = await ieee.waitForRegistration((r) => r.from === THING, 20_000);
    expect(reg.stanza.getChild("register")?.attrs.xmlns).toBe(NS_DISCOVERY_IEEE);
    expect((await ieee.claim(THING, "owner@localhost")).attrs.type).toBe("result");
    const update = await ieee.waitForUpdate((u) => u.from === THING);
    expect(update.stanza.getChild("update")?.attrs.xmlns).toBe(NS_DISCOVERY_IEEE);
    await expect.poll(async () => (await state("state-ieee")).keyCleared).toBe(true);
    expect(await state("state-ieee")).toMatchObject({ status: "CLAIMED", owner: "owner@localhost" });
  });

  it("befriends a JID registry before registering, and unfriends it when removed", async () => {
    expect(await agent!.stop("SIGTERM")).toBe(0);
    jidRegistry = await startRegistry(server, { account: { user: "registry", password: "registry-pw" } });
    await writeConfig("{ MAN: example.com }", "registry@localhost", "./state-jid");
    await start();
    await jidRegistry.waitForRegistration((r) => r.from === THING, 20_000);
    expect(jidRegistry.presences.some((p) => p.attrs.type === "subscribe" && p.attrs.from === "thing@localhost")).toBe(true);
    const registeredLine = await agent!.waitForLog((l) => l.msg === "registered with the Thing Registry");
    const befriended = agent!.lines.findIndex((l) => l.msg === "befriended the Thing Registry");
    const registered = agent!.lines.indexOf(registeredLine);
    expect(befriended).toBeGreaterThanOrEqual(0);
    expect(befriended).toBeLessThan(registered);

    expect((await jidRegistry.claim(THING, "owner@localhost")).attrs.type).toBe("result");
    expect((await jidRegistry.remove(THING)).attrs.type).toBe("result");
    await expect.poll(() => jidRegistry!.presences.some((p) => p.attrs.type === "unsubscribe" && p.attrs.from === "thing@localhost")).toBe(true);
    expect((await state("state-jid")).status).toBe("REMOVED");

    expect(await agent!.stop("SIGTERM")).toBe(0);
    const run = await unregisterCli();
    expect([run.status, run.stderr]).toStrictEqual([0, ""]);
    await jidRegistry.waitForUnregister("thing@localhost/gateway-unregister");
    expect((await state("state-jid")).status).toBe("UNREGISTERED");
  });
});
