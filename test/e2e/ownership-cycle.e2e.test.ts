// The whole ownership cycle end to end (issue 4's "done when"): a real Prosody, the test
// registry component, and the real thingd process with a simulated sensor and a relay on a
// gpio-output line (GPIO through test/helpers/gpio-namespace.ts). Unclaimed nobody may read or
// switch; the registry's claim makes the owner able to do both (and thingd subscribes to the
// owner and blanks its KEY); strangers stay refused; disown takes it all back and the Thing
// registers again with the same KEY, so the printed QR code stays valid.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { startRegistry, type TestRegistry } from "../../scripts/lib/test-registry.js";
import type { ReaderClient } from "../../scripts/lib/reader-client.js";
import { localXmppSection } from "../../scripts/lib/sensor-map-yaml.js";
import { NS_CONTROL } from "../../agent/protocol/ns.js";
import { runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { expectNamespaceSupport, fakeGpioTree, type FakeGpioTree } from "../helpers/gpio-namespace.js";
import { ClientPool } from "../helpers/clients.js";
import { presenceOf as presence, stanzaCondition as condition } from "../helpers/stanzas.js";
import { tearDown } from "../helpers/thing-stack.js";

const THING = "thing@localhost/gateway";
const RELAY_LINE = "gpio529"; // BCM 17 on a gpiochip at base 512
let server: ProsodyServer;
let registry: TestRegistry;
let agent: AgentProcess;
let gpio: FakeGpioTree;
let dir: string;
let owner: ReaderClient;
let stranger: ReaderClient;
const clients = new ClientPool(() => server, { roster: true });

const state = async () => JSON.parse(await readFile(path.join(dir, "state", "thing-state.json"), "utf8")) as { status: string; owner?: string; key: string };
const switchRelay = (c: ReaderClient, value: boolean) =>
  c.iq(xml("iq", { type: "set", to: THING }, xml("set", { xmlns: NS_CONTROL }, xml("node", { nodeId: "relay" }), xml("boolean", { name: "relay", value: String(value) }))));

beforeAll(async () => {
  expectNamespaceSupport();
  server = await startProsody({
    users: ["thing", "owner", "stranger"].map((u) => ({ user: u, password: `${u}-pw` })),
    components: [{ domain: "registry.localhost", secret: "registry-secret" }],
  });
  registry = await startRegistry(server, { domain: "registry.localhost", secret: "registry-secret" });
  dir = await mkdtemp(path.join(tmpdir(), "thingd-cycle-"));
  gpio = await fakeGpioTree(dir, [RELAY_LINE]);
  await writeFile(
    path.join(dir, "sensors.yaml"),
    `${localXmppSection(server, { resource: "gateway", keepalive: "5s" })}registry:
  jid: registry.localhost
  meta: { MAN: example.com, MODEL: pi-gateway }
state_dir: ./state
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", value: 21.4, decimals: 2 }] }
  - { id: relay, driver: gpio-output, every: 1h, pin: 17, field: relay }
`,
  );
  agent = runThingd(["run", "-c", path.join(dir, "sensors.yaml"), "--log-level", "debug"], {}, gpio.wrap);
  [owner, stranger] = await Promise.all([clients.client("owner"), clients.client("stranger")]);
}, 60_000);

afterAll(() => tearDown({ clients, agent, components: [registry], server, dir }));

describe("claim → read → control → disown against Prosody", () => {
  let key: string;

  it("registers unclaimed with a KEY; nobody may read or switch yet", async () => {
    const reg = await registry.waitForRegistration((r) => r.from === THING, 30_000);
    key = reg.tags.KEY!.value;
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    // The registry answers before the Thing writes its state: wait for the write.
    await expect.poll(async () => (await state()).status, { timeout: 5_000 }).toBe("REGISTERED");
    expect(condition((await owner.read(THING, { momentary: "true" })).reply)).toBe("forbidden");
    expect(condition(await switchRelay(owner, true))).toBe("forbidden");
    expect(await gpio.read(RELAY_LINE)).toBe("0");
  });

  it("a subscription request before the claim is held: no answer yet (neither refused nor approved)", async () => {
    const answer = owner.waitFor(presence("subscribed"), 1_500).then(() => "subscribed", () => "none");
    const refused = owner.waitFor(presence("unsubscribed"), 1_500).then(() => "unsubscribed", () => "none");
    await owner.conn.entity.send(xml("presence", { type: "subscribe", to: "thing@localhost" }));
    expect([await answer, await refused]).toStrictEqual(["none", "none"]);
    await agent.waitForLog((l) => l.msg === "presence subscription request held until the Thing is claimed");
  });

  it("claimed: the held request is approved, the owner is subscribed to, the KEY blanked, and the owner reads and switches", async () => {
    const approvedEarly = owner.waitFor(presence("subscribed"), 10_000);
    const subscribe = owner.waitFor(presence("subscribe"), 10_000);
    registry.updates.length = 0;
    expect((await registry.claim(THING, "owner@localhost")).attrs.type).toBe("result");
    await subscribe;
    await approvedEarly; // the request held before the claim
    // The owner's client accepts the Thing's request too: mutual subscription.
    await owner.conn.entity.send(xml("presence", { type: "subscribed", to: "thing@localhost" }));
    const update = await registry.waitForUpdate((u) => u.from === THING, 10_000);
    expect(update.tags.KEY?.value).toBe("");
    await expect.poll(async () => (await state()).status).toBe("CLAIMED");
    expect((await state()).owner).toBe("owner@localhost");

    const read = await owner.read(THING, { momentary: "true" });
    expect(read.reply.attrs.type).toBe("result");
    expect(read.fields.find((f) => f.node === "room" && f.name === "temperature")?.value).toBe("21.40");
    expect(read.fields.find((f) => f.node === "relay")).toMatchObject({ name: "relay", value: "false" });

    const set = await switchRelay(owner, true);
    expect(set.attrs.type).toBe("result");
    expect(set.getChild("setResponse", NS_CONTROL)?.attrs.responseCode).toBe("OK");
    expect(await gpio.read(RELAY_LINE)).toBe("1");
    const after = await owner.read(THING, { momentary: "true" }, [xml("node", { nodeId: "relay" })]);
    expect(after.fields.map((f) => [f.name, f.value, f.flags.includes("writable")])).toStrictEqual([["relay", "true", true]]);
  });

  it("a stranger can neither read nor switch the claimed Thing", async () => {
    expect(condition((await stranger.read(THING, { momentary: "true" })).reply)).toBe("forbidden");
    expect(condition(await switchRelay(stranger, false))).toBe("forbidden");
    expect(await gpio.read(RELAY_LINE)).toBe("1");
  });

  it("disowned: the former owner is refused and removed from the roster; registered again with the same KEY", async () => {
    const unsubscribed = owner.waitFor(presence("unsubscribed"), 10_000);
    registry.registrations.length = 0;
    expect((await registry.disown(THING)).attrs.type).toBe("result");
    await unsubscribed;
    const reg = await registry.waitForRegistration((r) => r.from === THING, 20_000);
    expect(reg.tags.KEY?.value).toBe(key);
    await expect.poll(async () => (await state()).status).toBe("REGISTERED");
    expect((await state()).owner).toBeUndefined();
    expect(condition((await owner.read(THING, { momentary: "true" })).reply)).toBe("forbidden");
    expect(condition(await switchRelay(owner, false))).toBe("forbidden");
    expect(await gpio.read(RELAY_LINE)).toBe("1");
  });
});
