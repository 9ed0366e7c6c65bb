import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { Poller } from "../../../agent/sensors/poller.js";
import { identityFields, statusFields, withNodeInfo } from "../../../agent/sensordata/node-info.js";
import { VERSION } from "../../../agent/version.js";
import type { Field, Sensor } from "../../../drivers/types.js";

const log = pino({ level: "silent" });
const T = new Date("2024-05-01T10:15:00Z");

function poller(read: () => Promise<Field[]>, model?: string): Poller {
  const sensor: Sensor = { read, close: async () => {}, ...(model ? { model } : {}) };
  return new Poller({ id: "n1", driver: "sht3x", periodMs: 60_000, timeoutMs: 200 }, sensor, log);
}

describe("node info", () => {
  it("identity: driver, model where known, the board serial, thingd version", () => {
    const withModel = identityFields(poller(async () => [], "sht4x"), T, "00000000a1b2c3d4");
    expect(withModel.map((f) => [f.name, f.type === "string" ? f.value : null, f.kind])).toStrictEqual([
      ["driver", "sht3x", "identity"],
      ["model", "sht4x", "identity"],
      ["serial_number", "00000000a1b2c3d4", "identity"],
      ["thingd_version", VERSION, "identity"],
    ]);
    expect(identityFields(poller(async () => []), T, "").map((f) => f.name)).toStrictEqual(["driver", "thingd_version"]);
  });

  it("status: counts, last error text and age of the last good read", async () => {
    let fail = false;
    const p = poller(async () => {
      if (fail) throw new Error("CRC mismatch");
      return [];
    });
    const before = statusFields(p, new Date(p.startedAt + 5_000));
    expect(before.map((f) => f.name)).toStrictEqual(["uptime", "read_count", "error_count", "last_error"]);
    expect(before[0]).toMatchObject({ type: "duration", value: 5 });
    await p.poll();
    fail = true;
    await expect(p.poll()).rejects.toThrow();
    const after = statusFields(p, new Date(p.latest!.at + 30_000));
    const byName = Object.fromEntries(after.map((f) => [f.name, f.value]));
    expect(byName).toMatchObject({ read_count: 1, error_count: 1, last_error: "CRC mismatch", seconds_since_good_read: 30 });
    expect(after.every((f) => f.kind === "status")).toBe(true);
  });

  it("adds nothing (the same array) when neither identity nor status is wanted", () => {
    const fields: Field[] = [];
    expect(withNodeInfo(new Set(["momentary", "computed"]), poller(async () => []), fields)).toBe(fields);
  });
});
