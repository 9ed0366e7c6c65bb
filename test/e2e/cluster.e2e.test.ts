// A real two-node ejabberd cluster: thingd-registry is a component of node B; a Thing on node A
// registers with it across the cluster and its owner, on node B, claims it by pasting the claim
// URI into a chat with the registry, then reads it; kill -9 node A → the Thing moves to node B
// (the next listed endpoint) and answers there within 5 s, still claimed, without registering
// again, and the registry still lists it as the owner's.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { startEjabberdCluster, type EjabberdCluster } from "../../scripts/lib/local-ejabberd-cluster.js";
import { ReaderClient } from "../../scripts/lib/reader-client.js";
import { xml, type Element } from "@xmpp/xml";
import { runRegistryProcess, type RegistryProcess } from "../../scripts/lib/registry-process.js";
import { MAIN, runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { endpointsSensorMap } from "../helpers/sensor-maps.js";

let cluster: EjabberdCluster | undefined;
let agent: AgentProcess | undefined;
let registry: RegistryProcess | undefined;
let owner: ReaderClient | undefined;
let seq = 0;

afterAll(async () => {
  await owner?.stop().catch(() => undefined);
  await agent?.stop("SIGKILL");
  await registry?.stop();
  await cluster?.stop();
});

/** The owner's chat with the registry: send `body`, resolve with the answer. */
async function askRegistry(client: ReaderClient, body: string): Promise<string> {
  const answer = client.waitFor((el: Element) => el.name === "message" && el.attrs.from === "registry.localhost" && el.getChildText("body") !== null, 15_000);
  await client.conn.entity.send(xml("message", { type: "chat", to: "registry.localhost" }, xml("body", {}, body)));
  return (await answer).getChildText("body") ?? "";
}

it("a Thing on node A, claimed through the registry on node B, read from B; after kill -9 of A it answers from B within 5 s", async () => {
  cluster = await startEjabberdCluster();
  const [a, b] = cluster.nodes;
  expect((await cluster.members(b)).sort()).toStrictEqual([a.name, b.name].sort());
  await cluster.register("thing", "thing-pw");
  await cluster.register("owner", "owner-pw");
  const dir = await mkdtemp(path.join(tmpdir(), "thingd-cluster-"));
  const registryConfig = path.join(dir, "registry.yaml");
  await writeFile(
    registryConfig,
    `component:\n  service: xmpp://127.0.0.1:${b.componentPort}\n  jid: registry.localhost\n  secret: ${cluster.componentSecret}\nstate_dir: ./registry-state\n`,
  );
  registry = runRegistryProcess(["run", "-c", registryConfig]);
  await registry.waitForLog((l) => l.msg === "component online", 30_000);

  const config = path.join(dir, "sensors.yaml");
  await writeFile(config, endpointsSensorMap([a.service, b.service], cluster.caFile, "registry: { jid: registry.localhost, meta: { MAN: example.com, MODEL: cluster-test, SN: c-1 } }"));
  agent = runThingd(["run", "-c", config]);
  expect((await agent.waitForLog((l) => l.msg === "online", 60_000)).service).toBe(a.service);
  await agent.waitForLog((l) => l.msg === "registered with the Thing Registry", 30_000);

  // The owner, on node B, claims by pasting the Thing's claim URI into a chat with the registry.
  const ca = await readFile(cluster.caFile, "utf8");
  owner = await ReaderClient.connect({ service: b.service, domain: "localhost", jid: "owner@localhost", password: "owner-pw", ca });
  const claim = spawnSync(process.execPath, [MAIN, "claim", "--json", "-c", config], { encoding: "utf8" });
  expect(claim.status, claim.stderr).toBe(0);
  const { uri } = JSON.parse(claim.stdout) as { uri: string };
  expect(await askRegistry(owner, uri)).toMatch(/^You now own .*thing@localhost/s);
  expect((await agent.waitForLog((l) => l.msg === "claimed", 15_000)).owner).toBe("owner@localhost");
  const read = () => owner!.read("thing@localhost/gw", { xmlns: "urn:xmpp:iot:sensordata", seqnr: String(++seq), momentary: "true" }, [], 5_000);
  const first = await read();
  expect(first.fields.find((f) => f.name === "temperature")?.value, `${first.reply.toString()} ${first.messages.map(String).join(" ")}`).toBe("21.40");

  await cluster.kill(a);
  const killedAt = Date.now();
  await agent.waitForLog((l) => l.msg === "online" && l.service === b.service, 30_000);
  // Answering again: poll readouts until one succeeds, and time it from the kill.
  let answeredAt = 0;
  while (!answeredAt && Date.now() - killedAt < 30_000) {
    const r = await read().catch(() => undefined);
    if (r?.fields.some((f) => f.name === "temperature" && f.value === "21.40")) answeredAt = Date.now();
  }
  expect(answeredAt).toBeGreaterThan(0);
  console.log(`cluster failover: kill -9 of node A → readout answered from node B after ${answeredAt - killedAt} ms`);
  expect(answeredAt - killedAt).toBeLessThan(5_000);

  // Claimed things never register again; the registry on B still has it as the owner's.
  expect(agent.lines.filter((l) => l.msg === "registered with the Thing Registry")).toHaveLength(1);
  expect(await askRegistry(owner, "list")).toMatch(/Your Things \(1\):[\s\S]*thing@localhost/);
  const state = JSON.parse(await readFile(path.join(dir, "state", "thing-state.json"), "utf8")) as { status: string; owner?: string };
  expect([state.status, state.owner]).toStrictEqual(["CLAIMED", "owner@localhost"]);
}, 240_000);
