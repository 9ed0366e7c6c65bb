// The history store end to end: the real thingd (dist/) polls a simulated sensor against a
// real Prosody; historical readouts return values polled before a restart of thingd and
// while the XMPP server was down; window edges; the cap; momentary stays momentary.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import type { ReaderClient, ReadField } from "../../scripts/lib/reader-client.js";
import { localXmppSection } from "../../scripts/lib/sensor-map-yaml.js";
import { runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { connectUser } from "../helpers/clients.js";
import { tearDown } from "../helpers/thing-stack.js";

const THING = "thing@localhost/gateway";
const CAP = 40;
let server: ProsodyServer;
let agent: AgentProcess;
let reader: ReaderClient;
let dir: string;
let config: string;
let startedAt: Date;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const iso = (t: Date | number) => new Date(t).toISOString();
const connectReader = () => connectUser(server, "reader");
const startAgent = async () => {
  agent = runThingd(["run", "-c", config]);
  await agent.waitForLog((l) => l.msg === "online");
};
const historical = (kind: string, from: Date | number, to: Date | number) =>
  reader.read(THING, { [kind]: "true", from: iso(from), to: iso(to) }, [], 15_000);
const values = (fields: ReadField[]) => fields.map((f) => `${f.timestamp} ${f.name}=${f.value}`);

beforeAll(async () => {
  server = await startProsody({ users: ["thing", "reader"].map((u) => ({ user: u, password: `${u}-pw` })) });
  dir = await mkdtemp(path.join(tmpdir(), "thingd-history-e2e-"));
  config = path.join(dir, "sensors.yaml");
  await writeFile(
    config,
    `${localXmppSection(server, { resource: "gateway" })}access:
  readers: [reader@localhost]
state_dir: ./state
history:
  flush: 1s
  max_fields_per_request: ${CAP}
sensors:
  - { id: room, driver: simulated, every: 500ms, seed: 7, fields: [{ name: temperature, unit: "°C", min: 10, max: 30, decimals: 2 }] }
`,
  );
  startedAt = new Date();
  await startAgent();
  reader = await connectReader();
  await sleep(3_000);
});

afterAll(() => tearDown({ clients: [reader], agent, server, dir }));

it("a momentary-only request contains no historical fields", async () => {
  const res = await reader.read(THING, { momentary: "true" });
  expect(res.fields.length).toBeGreaterThan(0);
  expect(res.fields.every((f) => f.flags.includes("momentary") && !f.flags.some((x) => x.startsWith("historical")))).toBe(true);
});

it("historical = every period, each field flagged with its own", async () => {
  // From today's 00:00Z: the day, hour and minute buckets all start inside the window.
  const midnight = Math.floor(Date.now() / 86_400_000) * 86_400_000;
  const res = await reader.read(THING, { historical: "true", from: iso(midnight), to: iso(Date.now()) }, [], 15_000);
  expect(res.failures).toStrictEqual([]); // under the cap
  const kinds = res.fields.map((f) => f.flags.filter((x) => x.startsWith("historical")));
  expect(kinds.every((k) => k.length === 1)).toBe(true);
  // Longer periods only when their bucket also starts today (a Monday, a 1st of the month…).
  const d = new Date(midnight);
  const expected = ["historicalSecond", "historicalMinute", "historicalHour", "historicalDay"];
  if (d.getUTCDay() === 1) expected.push("historicalWeek");
  if (d.getUTCDate() === 1) expected.push("historicalMonth");
  if (d.getUTCDate() === 1 && d.getUTCMonth() % 3 === 0) expected.push("historicalQuarter");
  if (d.getUTCDate() === 1 && d.getUTCMonth() === 0) expected.push("historicalYear");
  expect(new Set(kinds.flat())).toStrictEqual(new Set(expected));
  const day = res.fields.filter((f) => f.flags.includes("historicalDay"));
  expect(day.map((f) => [f.timestamp, f.name])).toStrictEqual(
    ["temperature", "temperature, min", "temperature, max"].map((n) => [iso(midnight).replace(".000", ""), n]),
  );
  expect(res.fields.some((f) => f.flags.includes("momentary"))).toBe(false);
});

it("returns values polled before a restart of thingd", async () => {
  const until = Date.now() - 1_000;
  const before = await historical("historicalSecond", startedAt, until);
  expect(before.reply.attrs.type).toBe("result");
  expect(before.fields.length).toBeGreaterThanOrEqual(1);
  expect(before.fields.every((f) => f.flags.includes("historicalSecond") && f.element === "numeric" && f.unit === "°C")).toBe(true);

  expect(await agent.stop("SIGTERM")).toBe(0); // SIGTERM flushes the last batch
  await startAgent();
  const after = await historical("historicalSecond", startedAt, until);
  expect(values(after.fields)).toStrictEqual(values(before.fields));
});

it("returns values polled while the XMPP server was down", async () => {
  const onlineCount = () => agent.lines.filter((l) => l.msg === "online").length;
  const online = onlineCount();
  await reader.stop();
  await server.kill();
  const downFrom = Date.now();
  await sleep(3_000);
  const downTo = Date.now();
  await server.restart();
  await agent.waitForLog(() => onlineCount() > online, 30_000);
  reader = await connectReader();
  const res = await historical("historicalSecond", downFrom, downTo);
  // Polled every 500 ms for 3 s while offline: at least two distinct seconds.
  expect(res.fields.length).toBeGreaterThanOrEqual(2);
  for (const f of res.fields) {
    const t = Date.parse(f.timestamp);
    expect(t).toBeGreaterThanOrEqual(Math.floor(downFrom / 1000) * 1000);
    expect(t).toBeLessThanOrEqual(downTo);
  }
});

it("window edges: a bucket is in when its start lies in [from, to], both inclusive", async () => {
  const first = (await historical("historicalSecond", startedAt, Date.now())).fields[0]!;
  const minute = Math.floor(Date.parse(first.timestamp) / 60_000) * 60_000;
  const exact = await historical("historicalMinute", minute, minute);
  expect(exact.fields.map((f) => [f.timestamp, f.name])).toStrictEqual([
    [iso(minute).replace(".000", ""), "temperature"],
    [iso(minute).replace(".000", ""), "temperature, min"],
    [iso(minute).replace(".000", ""), "temperature, max"],
  ]);
  expect(exact.fields.every((f) => f.flags.includes("historicalMinute"))).toBe(true);
  console.log(`history e2e exchange: <req historicalMinute from=${iso(minute)} to=${iso(minute)}> → ${exact.messages.map(String).join("\n")}`);
  const [mean, min, max] = exact.fields.map((f) => Number(f.value));
  expect(min!).toBeLessThanOrEqual(mean!);
  expect(mean!).toBeLessThanOrEqual(max!);
  // One millisecond past the bucket start up to one before the next: no bucket starts in it.
  const none = await historical("historicalMinute", minute + 1, minute + 59_999);
  expect(none.fields).toStrictEqual([]);
  expect(none.failures).toStrictEqual([]);
});

it("caps the reply, keeps the newest values and says it truncated", async () => {
  // Wait for more than CAP stored seconds by asking (a loaded machine skips some 1 s polls, so
  // the clock alone does not say when there are enough).
  await sleep(Math.max(0, (CAP + 2) * 1000 - (Date.now() - startedAt.getTime())));
  let res = await historical("historicalSecond", startedAt, Date.now());
  for (let i = 0; i < 60 && res.failures.length === 0; i++) {
    await sleep(1_000);
    res = await historical("historicalSecond", startedAt, Date.now());
  }
  expect(res.fields).toHaveLength(CAP);
  expect(res.failures).toHaveLength(1);
  expect(res.failures[0]!.nodeId).toBe("room");
  expect(res.failures[0]!.message).toMatch(new RegExp(`^history truncated: returned ${CAP} of (\\d+) values; narrow from/to$`));
  const total = Number(/of (\d+)/.exec(res.failures[0]!.message)![1]);
  expect(total).toBeGreaterThan(CAP);
  const last = res.messages.at(-1)!.getChildElements()[0]!;
  expect([last.name, last.attrs.done]).toStrictEqual(["failure", "true"]);
  // The newest: the last returned second is within a few seconds of now.
  expect(Date.now() - Date.parse(res.fields.at(-1)!.timestamp)).toBeLessThan(10_000);
}, 150_000);
