// thingd-registry end to end on a real Prosody with a Component: the real thingd registers with
// it; a slixmpp client (not our code) claims by IQ <mine>; after a disown another person claims
// by pasting the iotdisco: URI into a chat; searches find public Things by tag; the owner reads
// and a stranger cannot; kill -9 the registry, restart, nothing lost; hostile input is refused.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import type { ReaderClient } from "../../scripts/lib/reader-client.js";
import { localXmppSection } from "../../scripts/lib/sensor-map-yaml.js";
import { buildIotDiscoUri } from "../../agent/protocol/iotdisco.js";
import { runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { ClientPool } from "../helpers/clients.js";
import { stanzaCondition as condition } from "../helpers/stanzas.js";
import { tearDown } from "../helpers/thing-stack.js";
import {
  foreignClient,
  REGISTRY_MAIN,
  runRegistryProcess,
  writeRegistryConfig,
  type ForeignClient,
  type RegistryProcess,
} from "../helpers/registry-process.js";

const REG = "things.localhost";
const NS = "urn:xmpp:iot:discovery";
const THING = "thing@localhost";
let server: ProsodyServer;
let registry: RegistryProcess;
let agent: AgentProcess;
let dir: string;
let configFile: string;
let alice: ForeignClient;
let bob: ForeignClient;
let carol: ForeignClient;
const clients = new ClientPool(() => server, { roster: true, ownResource: true });

const thingState = async () =>
  JSON.parse(await readFile(path.join(dir, "state", "thing-state.json"), "utf8")) as { status: string; owner?: string; key: string };
const meta = { MAN: "example.com", MODEL: "pi-gateway", SN: "0001" };
const mineXml = (key: string, extra = "") =>
  `<mine xmlns='${NS}'${extra}><str name='MAN' value='example.com'/><str name='MODEL' value='pi-gateway'/><str name='SN' value='0001'/><str name='KEY' value='${key}'/></mine>`;
const startRegistryProc = async () => {
  const p = runRegistryProcess(["run", "-c", configFile, "--log-level", "debug"]);
  await p.waitForLog((l) => l.msg === "component online", 20_000);
  return p;
};

beforeAll(async () => {
  server = await startProsody({
    users: ["thing", "alice", "bob", "carol", "mallory"].map((u) => ({ user: u, password: `${u}-pw` })),
    components: [{ domain: REG, secret: "registry-secret" }],
  });
  dir = await mkdtemp(path.join(tmpdir(), "thingd-registry-e2e-"));
  configFile = await writeRegistryConfig(dir, server, REG);
  registry = await startRegistryProc();
  await writeFile(
    path.join(dir, "sensors.yaml"),
    `${localXmppSection(server, { resource: "gateway", keepalive: "5s" })}registry:
  jid: ${REG}
  meta: { MAN: example.com, MODEL: pi-gateway, SN: "0001" }
state_dir: ./state
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", value: 21.4, decimals: 2 }] }
`,
  );
  agent = runThingd(["run", "-c", path.join(dir, "sensors.yaml"), "--log-level", "debug"]);
  await agent.waitForLog((l) => l.msg === "registered with the Thing Registry", 30_000);
  [alice, bob, carol] = await Promise.all([foreignClient(server, "alice"), foreignClient(server, "bob"), foreignClient(server, "carol")]);
}, 90_000);

afterAll(async () => {
  if (process.env.REGISTRY_E2E_LOGS) {
    await writeFile(`${process.env.REGISTRY_E2E_LOGS}.registry`, registry.lines.map((l) => JSON.stringify(l)).join("\n"));
    await writeFile(`${process.env.REGISTRY_E2E_LOGS}.agent`, agent.lines.map((l) => JSON.stringify(l)).join("\n"));
  }
  await Promise.all([alice, bob, carol].map((c) => c?.stop()));
  await tearDown({ clients, agent, components: [{ stop: () => registry.stop() }], server, dir });
});

describe("thingd-registry on Prosody", () => {
  it("answers disco#info with the registry identity and both discovery namespaces", async () => {
    const r = await carol.iq(REG, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    expect(r.type).toBe("result");
    expect(r.xml).toContain("urn:xmpp:iot:discovery");
    expect(r.xml).toContain("urn:ieee:iot:disco:1.0");
    expect(r.xml).toContain("http://jabber.org/protocol/commands");
  });

  it("a wrong KEY is item-not-found, like an unknown Thing; the Thing stays unclaimed", async () => {
    const r = await carol.iq(REG, "set", mineXml("00000000000000000000000000000000"));
    expect(r.type).toBe("error");
    expect(r.xml).toContain("item-not-found");
    expect((await thingState()).status).toBe("REGISTERED");
  });

  it("alice claims by IQ <mine> (slixmpp): she gets the Thing's JID, the Thing gets her as owner", async () => {
    const { key } = await thingState();
    const r = await alice.iq(REG, "set", mineXml(key));
    expect(r.type).toBe("result");
    expect(r.xml).toMatch(/<claimed[^>]*jid="thing@localhost"/);
    await agent.waitForLog((l) => l.msg === "claimed" && l.owner === "alice@localhost", 15_000);
    await expect.poll(async () => (await thingState()).owner, { timeout: 10_000 }).toBe("alice@localhost");
    // A second claim of the same code by someone else loses.
    const late = await bob.iq(REG, "set", mineXml(key));
    expect(late.xml).toContain("item-not-found");
  });

  it("the owner reads the Thing; a stranger cannot", async () => {
    const owner: ReaderClient = await clients.client("alice");
    const stranger: ReaderClient = await clients.client("mallory");
    const read = await owner.read(`${THING}/gateway`, { momentary: "true" });
    expect(read.reply.attrs.type).toBe("result");
    expect(read.fields.some((f) => f.name === "temperature")).toBe(true);
    expect(condition((await stranger.read(`${THING}/gateway`, { momentary: "true" })).reply)).toBe("forbidden");
  });

  it("search finds the public claimed Thing by tags, without its KEY; a KEY search finds nothing", async () => {
    await agent.waitForLog((l) => l.msg === "KEY blanked in the registry after the claim", 15_000);
    const r = await carol.iq(
      REG,
      "get",
      `<search xmlns='${NS}' offset='0' maxCount='10'><strEq name='MAN' value='example.com'/><strMask name='SN' value='00*' wildcard='*'/></search>`,
    );
    expect(r.type).toBe("result");
    expect(r.xml).toMatch(/<thing[^>]*owner="alice@localhost"/);
    expect(r.xml).toContain('name="MODEL"');
    expect(r.xml).not.toContain('name="KEY"');
    const none = await carol.iq(REG, "get", `<search xmlns='${NS}'><strEq name='MAN' value='other.org'/></search>`);
    expect(none.xml).not.toContain("<thing");
    const key = await carol.iq(REG, "get", `<search xmlns='${NS}'><strNEq name='KEY' value='x'/></search>`);
    expect(key.xml).not.toContain("<thing");
  });

  it("only the owner may disown: bob gets item-not-found", async () => {
    const r = await bob.iq(REG, "set", `<disown xmlns='${NS}' jid='${THING}'/>`);
    expect(r.xml).toContain("item-not-found");
    expect((await thingState()).owner).toBe("alice@localhost");
  });

  it("alice disowns: the Thing registers again and bob claims it by pasting its iotdisco: URI in a chat", async () => {
    const before = agent.lines.length;
    const r = await alice.iq(REG, "set", `<disown xmlns='${NS}' jid='${THING}'/>`);
    expect(r.type).toBe("result");
    await agent.waitForLog((l) => agent.lines.indexOf(l) >= before && l.msg === "registered with the Thing Registry", 20_000);
    const st = await thingState();
    expect(st.status).toBe("REGISTERED");
    const uri = buildIotDiscoUri({ ...meta, KEY: st.key }, REG);
    const answer = await bob.chat(REG, uri);
    expect(answer).toMatch(/^You now own thing@localhost \(MAN example\.com, MODEL pi-gateway, SN 0001\)/);
    await expect.poll(async () => (await thingState()).owner, { timeout: 10_000 }).toBe("bob@localhost");
    expect(await bob.chat(REG, "list")).toContain("thing@localhost");
    expect(await carol.chat(REG, "disown thing@localhost")).toContain("You own no Thing");
  });

  it("ad-hoc commands: the list names the four commands; My things answers", async () => {
    const items = await bob.iq(REG, "get", "<query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/>");
    for (const name of ["Claim a thing", "My things", "Disown", "Remove"]) expect(items.xml).toContain(`name="${name}"`);
    const list = await bob.iq(REG, "set", "<command xmlns='http://jabber.org/protocol/commands' node='list' action='execute'/>");
    expect(list.xml).toContain('status="completed"');
    expect(list.xml).toContain("thing@localhost");
  });

  it("kill -9 the registry mid-claims, restart: every acknowledged claim and registration is still there", async () => {
    // Claims in flight when the kill lands: they fail (item-not-found) or not; either way the state must load.
    const flying = Array.from({ length: 20 }, () => carol.iq(REG, "set", mineXml("ffffffffffffffffffffffffffffffff")).catch(() => undefined));
    await new Promise((r) => setTimeout(r, 30));
    registry.child.kill("SIGKILL");
    await registry.stop();
    await Promise.all(flying);
    const list = spawnSync(process.execPath, [REGISTRY_MAIN, "list", "-c", configFile, "--json"], { encoding: "utf8" });
    expect(list.status).toBe(0);
    const things = list.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { jid: string; owner?: string });
    expect(things).toContainEqual(expect.objectContaining({ jid: THING, owner: "bob@localhost" }));
    registry = await startRegistryProc();
    expect(await bob.chat(REG, "list")).toContain("thing@localhost");
  });

  it("hostile input gets stanza errors, never a crash", async () => {
    const bad = [
      `<register xmlns='${NS}'><str value='x'/></register>`,
      `<register xmlns='${NS}'><num name='V' value='abc'/></register>`,
      `<register xmlns='${NS}'><str name='a b' value='x'/></register>`,
      `<register xmlns='${NS}'>${Array.from({ length: 500 }, (_, i) => `<str name='T${i}' value='v'/>`).join("")}</register>`,
      `<register xmlns='${NS}' jid='thing@localhost'><str name='SN' value='hijack'/></register>`,
      `<search xmlns='${NS}'><strEq value='x'/></search>`,
      `<search xmlns='${NS}' maxCount='-1'><strEq name='MAN' value='x'/></search>`,
      `<disown xmlns='${NS}'/>`,
      `<frobnicate xmlns='${NS}'/>`,
    ];
    for (const payload of bad) {
      const type = payload.startsWith("<search") ? "get" : "set";
      const r = await carol.iq(REG, type, payload);
      expect(r.type, payload.slice(0, 80)).toBe("error");
      expect(r.xml).toMatch(/bad-request|feature-not-implemented/);
    }
    // mallory "updates" the Thing's tags from her own JID: it is not hers, nothing changes.
    const spoof = await carol.iq(REG, "set", `<update xmlns='${NS}' jid='${THING}'><str name='MODEL' value='evil'/></update>`);
    expect(spoof.xml).toContain("item-not-found");
    const search = await carol.iq(REG, "get", `<search xmlns='${NS}'><strEq name='MODEL' value='evil'/></search>`);
    expect(search.xml).not.toContain("<thing");
    expect(registry.child.exitCode).toBeNull();
  });

  it("10,000 failed claims: after the first few every one is refused with resource-constraint; others still claim", async () => {
    const mallory = await clients.client("mallory");
    const conditions = new Map<string, number>();
    for (let batch = 0; batch < 20; batch++) {
      const replies = await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          mallory.iq(xml("iq", { type: "set", to: REG }, xml("mine", { xmlns: NS }, xml("str", { name: "KEY", value: `guess-${batch}-${i}` }))), 60_000),
        ),
      );
      for (const r of replies) {
        const c = condition(r) ?? "result";
        conditions.set(c, (conditions.get(c) ?? 0) + 1);
      }
    }
    expect(conditions.get("result")).toBeUndefined();
    expect(conditions.get("item-not-found")).toBe(10);
    expect(conditions.get("resource-constraint")).toBe(9_990);
    expect(registry.child.exitCode).toBeNull();
    // Someone else is not affected.
    const r = await carol.iq(REG, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    expect(r.type).toBe("result");
  }, 180_000);
});
