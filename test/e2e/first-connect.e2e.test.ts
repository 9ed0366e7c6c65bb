// The server is down when thingd starts: it keeps retrying with backoff and comes online when
// the server appears, without a restart. Also: the password never reaches a log line.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { tearDown } from "../helpers/thing-stack.js";

let server: ProsodyServer | undefined;
let agent: AgentProcess | undefined;
let dir: string | undefined;

afterAll(() => tearDown({ agent, server, dir }));

it("retries a failed first connect with backoff, then comes online; never logs the password", async () => {
  server = await startProsody({ users: [{ user: "thing", password: "s3cret-Pw-xyz" }] });
  await server.kill();
  dir = await mkdtemp(path.join(tmpdir(), "thingd-first-"));
  const config = path.join(dir, "sensors.yaml");
  await writeFile(
    config,
    `xmpp:
  service: ${server.service}
  jid: thing@localhost
  password: s3cret-Pw-xyz
  tls: { ca: ${server.caFile} }
state_dir: ./state
sensors:
  - id: room
    driver: simulated
    every: 1s
    fields: [{ name: temperature, unit: "°C", value: 20, decimals: 1 }]
`,
  );
  agent = runThingd(["run", "-c", config, "--log-level", "debug"]);
  const failures = () => agent!.lines.filter((l) => l.msg === "XMPP connect failed");
  await expect.poll(() => failures().length, { timeout: 15_000, interval: 100 }).toBeGreaterThanOrEqual(2);
  const delays = agent.lines.filter((l) => l.msg === "reconnecting").map((l) => l.delayMs as number);
  expect(delays[0]).toBeGreaterThanOrEqual(500); // base 1 s with equal jitter
  expect(delays[1]).toBeGreaterThanOrEqual(1000); // doubled
  await server.restart();
  await agent.waitForLog((l) => l.msg === "online", 30_000);
  expect(await agent.stop("SIGTERM")).toBe(0);
  const all = agent.lines.map((l) => JSON.stringify(l)).join("\n") + agent.stderr.join("");
  expect(all).not.toContain("s3cret-Pw-xyz");
});
