// xmpp.service as a list: a Thing whose server dies moves to the next one at once (no backoff
// while an untried endpoint remains) and answers readouts there. Two independent Prosody
// servers stand in for two nodes of a cluster (the ejabberd cluster is exercised by the fleet
// benchmark's notes in docs/benchmarks.md).
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { ReaderClient } from "../../scripts/lib/reader-client.js";
import { runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { endpointsSensorMap } from "../helpers/sensor-maps.js";
import { tearDown } from "../helpers/thing-stack.js";

let a: ProsodyServer | undefined;
let b: ProsodyServer | undefined;
let agent: AgentProcess | undefined;
let reader: ReaderClient | undefined;
let dir: string | undefined;

afterAll(async () => {
  await tearDown({ agent, server: a, dir, clients: [reader] });
  await b?.stop();
});

it("moves from a killed server to the next listed one within 5 s and answers there", async () => {
  const users = [
    { user: "thing", password: "thing-pw" },
    { user: "owner", password: "owner-pw" },
  ];
  [a, b] = await Promise.all([startProsody({ users }), startProsody({ users })]);
  dir = await mkdtemp(path.join(tmpdir(), "thingd-failover-"));
  // One CA bundle trusting both test servers (each made its own CA).
  const bundle = path.join(dir, "ca-bundle.pem");
  await writeFile(bundle, (await readFile(a.caFile, "utf8")) + (await readFile(b.caFile, "utf8")));
  const config = path.join(dir, "sensors.yaml");
  await writeFile(config, endpointsSensorMap([a.service, b.service], bundle));
  agent = runThingd(["run", "-c", config]);
  const onA = await agent.waitForLog((l) => l.msg === "online", 30_000);
  expect(onA.service).toBe(a.service);

  await a.kill();
  const killedAt = Date.now();
  const onB = await agent.waitForLog((l) => l.msg === "online" && l.service === b!.service, 15_000);
  const movedMs = Date.now() - killedAt;
  expect(movedMs).toBeLessThan(5_000);
  expect(agent.lines.some((l) => l.msg === "reconnecting" && typeof l.delayMs === "number" && l.delayMs > 250)).toBe(false);
  void onB;

  reader = await ReaderClient.connect({ service: b.service, domain: "localhost", jid: "owner@localhost", password: "owner-pw", ca: await readFile(b.caFile, "utf8") });
  const res = await reader.read("thing@localhost/gw", { xmlns: "urn:xmpp:iot:sensordata", seqnr: "1", momentary: "true" });
  expect(res.fields.find((f) => f.name === "temperature")?.value).toBe("21.40");
});
