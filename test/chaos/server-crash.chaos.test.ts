// Chaos: the XMPP server dies (kill -9) and comes back, over and over; then it freezes
// (SIGSTOP) for longer than the keepalive. thingd must be back online within 2 s of the server
// accepting connections each time, and, once claimed, must never register again.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import { errorOf } from "../helpers/stanzas.js";
import { pingStanza, startRig, THING, type Rig } from "./rig.js";
import { ROOM_SENSOR } from "../helpers/sensor-maps.js";

let rig: Rig;
const ROUNDS = Number(process.env.CHAOS_ROUNDS ?? 5);

beforeAll(async () => {
  rig = await startRig({
    keepalive: "5s",
    body: `sensors:
${ROOM_SENSOR}`,
  });
  await rig.claim();
});

afterAll(() => rig?.close());

const onlineLines = () => rig.agent.lines.filter((l) => l.msg === "online");

async function readRoom(): Promise<string[]> {
  const owner = await rig.client("owner");
  try {
    const r = await owner.read(THING, { momentary: "true" }, [xml("node", { nodeId: "room" })]);
    return r.fields.map((f) => f.value);
  } finally {
    await owner.stop();
  }
}

describe("server crash and freeze", () => {
  it(`is online again within 2 s of Prosody coming back, ${ROUNDS} kill -9 rounds, without registering again`, async () => {
    const registrations = rig.registry.registrations.length;
    const delays: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = onlineLines().length;
      await rig.server.kill();
      await rig.agent.waitForLog((l) => l.msg === "XMPP connection lost" && onlineLines().length === before, 10_000);
      // Down for a while, so the backoff has grown by the time the server is back.
      await new Promise((r) => setTimeout(r, 500 + round * 400));
      await rig.server.restart(); // resolves once Prosody serves c2s stream features
      const back = Date.now();
      const online = await rig.agent.waitForLog((l) => l.msg === "online" && onlineLines().indexOf(l) >= before, 10_000);
      delays.push((online.time as number) - back);
      await rig.registry.waitOnline();
      expect(await readRoom()).toStrictEqual(["21.40"]);
    }
    console.log(`online after server back (ms): ${delays.join(", ")}`);
    for (const d of delays) expect(d).toBeLessThan(2_000);
    // Claimed things never register again (docs/protocol.md §2.2).
    expect(rig.registry.registrations.length).toBe(registrations);
    const state = JSON.parse(await readFile(path.join(rig.dir, "state", "thing-state.json"), "utf8"));
    expect([state.status, state.owner]).toStrictEqual(["CLAIMED", "owner@localhost"]);
  }, 60_000);

  it("notices a frozen server (SIGSTOP longer than the keepalive) and reconnects after SIGCONT", async () => {
    const pid = Number((await readFile(path.join(rig.server.dir, "prosody.pid"), "utf8")).trim());
    expect(pid).toBeGreaterThan(1);
    const before = onlineLines().length;
    const frozenAt = Date.now();
    process.kill(pid, "SIGSTOP");
    try {
      // keepalive 5 s, and a ping unanswered for 5 s drops the session.
      const noticed = await rig.agent.waitForLog((l) => /keepalive ping to the server failed/.test(l.msg) && (l.time as number) > frozenAt, 15_000);
      expect((noticed.time as number) - frozenAt).toBeLessThan(11_000);
      expect(onlineLines().length).toBe(before);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const thawed = Date.now();
    const online = await rig.agent.waitForLog((l) => l.msg === "online" && onlineLines().indexOf(l) >= before, 20_000);
    expect((online.time as number) - thawed).toBeLessThan(5_000);
    await rig.registry.waitOnline();
    const reader = await rig.client("reader");
    const ping = await reader.iq(pingStanza());
    expect([ping.attrs.type, errorOf(ping)]).toStrictEqual(["result", [undefined, undefined]]);
    expect(await readRoom()).toStrictEqual(["21.40"]);
  }, 60_000);
});
