// A real two-node ejabberd cluster: a Thing on node A, its owner on node B reads it across the
// cluster; kill -9 node A → the Thing moves to node B (the next listed endpoint) and answers
// there within 5 s.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { startEjabberdCluster, type EjabberdCluster } from "../../scripts/lib/local-ejabberd-cluster.js";
import { ReaderClient } from "../../scripts/lib/reader-client.js";
import { runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { endpointsSensorMap } from "../helpers/sensor-maps.js";

let cluster: EjabberdCluster | undefined;
let agent: AgentProcess | undefined;
let owner: ReaderClient | undefined;
let seq = 0;

afterAll(async () => {
  await owner?.stop().catch(() => undefined);
  await agent?.stop("SIGKILL");
  await cluster?.stop();
});

it("owner on node B reads a Thing on node A; after kill -9 of A the Thing answers from B within 5 s", async () => {
  cluster = await startEjabberdCluster();
  const [a, b] = cluster.nodes;
  expect((await cluster.members(b)).sort()).toStrictEqual([a.name, b.name].sort());
  await cluster.register("thing", "thing-pw");
  await cluster.register("owner", "owner-pw");
  const dir = await mkdtemp(path.join(tmpdir(), "thingd-cluster-"));
  const config = path.join(dir, "sensors.yaml");
  await writeFile(config, endpointsSensorMap([a.service, b.service], cluster.caFile));
  agent = runThingd(["run", "-c", config]);
  expect((await agent.waitForLog((l) => l.msg === "online", 60_000)).service).toBe(a.service);

  const ca = await readFile(cluster.caFile, "utf8");
  owner = await ReaderClient.connect({ service: b.service, domain: "localhost", jid: "owner@localhost", password: "owner-pw", ca });
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
}, 240_000);
