// Chaos: a PMS5003 on a serial line (a socat pty pair, the emulator on the far end) is
// unplugged mid-run and plugged back. Readouts report a failure for that node only while it is
// gone, and its values again after the replug; the other sensor never notices.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFrame } from "../../drivers/serial/pms5003.js";
import type { ReaderClient, ReadResult } from "../../scripts/lib/reader-client.js";
import { PtyEmulator, startPtyPair, type PtyPair } from "../fakes/pty.js";
import { waitFor } from "../helpers/wait-for.js";
import { startRig, THING, type Rig } from "./rig.js";
import { ROOM_SENSOR } from "../helpers/sensor-maps.js";

let rig: Rig;
let ptyDir: string;
let pair: PtyPair;
let stopStreaming: () => Promise<void>;
let owner: ReaderClient;

async function plugIn(pm2_5: number): Promise<void> {
  pair = await startPtyPair(ptyDir);
  const em = await PtyEmulator.open(pair.emulatorPath);
  const t = setInterval(() => void em.write(buildFrame({ pm1_0: 3, pm2_5, pm10: 9 })).catch(() => {}), 100);
  stopStreaming = async () => {
    clearInterval(t);
    await em.close();
  };
}

async function unplug(): Promise<void> {
  await stopStreaming();
  await pair.stop();
}

beforeAll(async () => {
  ptyDir = await mkdtemp(path.join(tmpdir(), "thingd-chaos-pty-"));
  await plugIn(7);
  rig = await startRig({
    body: `sensors:
  - id: dust
    driver: pms5003
    every: 1s
    port: ${path.join(ptyDir, "a")}
    stale_after_ms: 1500
${ROOM_SENSOR}`,
  });
  await rig.claim();
  owner = await rig.client("owner");
});

afterAll(async () => {
  await rig?.close();
  await unplug().catch(() => {});
  if (ptyDir) await rm(ptyDir, { recursive: true, force: true });
});

const read = () => owner.read(THING, { momentary: "true" });
const pm25 = (r: ReadResult) => r.fields.find((f) => f.node === "dust" && f.name === "pm2_5")?.value;
const room = (r: ReadResult) => r.fields.filter((f) => f.node === "room").map((f) => f.value);

describe("serial sensor unplugged and replugged", () => {
  it("fails that node only while unplugged, and serves it again after the replug", async () => {
    const before = await waitFor(async () => {
      const r = await read();
      return pm25(r) === "7" ? r : undefined;
    }, "first PMS5003 values", 15_000);
    expect(before.failures).toStrictEqual([]);
    expect(room(before)).toStrictEqual(["21.40"]);

    await unplug();
    const gone = await waitFor(async () => {
      const r = await read();
      return r.failures.length > 0 ? r : undefined;
    }, "a failure for the unplugged sensor", 15_000);
    expect(gone.failures.map((f) => f.nodeId)).toStrictEqual(["dust"]);
    expect(pm25(gone)).toBeUndefined();
    expect(room(gone)).toStrictEqual(["21.40"]);
    expect(rig.agent.child.exitCode).toBeNull();

    await plugIn(12);
    const back = await waitFor(async () => {
      const r = await read();
      return pm25(r) === "12" ? r : undefined;
    }, "PMS5003 values after the replug", 20_000);
    expect(back.failures).toStrictEqual([]);
    expect(room(back)).toStrictEqual(["21.40"]);
  }, 60_000);
});
