import { describe, expect, it } from "vitest";
import { chunkNodeFields } from "../../../agent/protocol/chunk.js";
import { buildReadoutMessages } from "../../../agent/protocol/sensordata.js";
import type { Field } from "../../../drivers/types.js";

const n = (nodeId: string, count: number) => ({ nodeId, fields: Array.from({ length: count }, (_, i) => i) });

describe("chunkNodeFields", () => {
  it("splits nodes so no chunk holds more than max fields, keeping order", () => {
    const chunks = chunkNodeFields([n("a", 5), n("b", 0), n("c", 4)], 3);
    expect(chunks).toStrictEqual([
      [{ nodeId: "a", fields: [0, 1, 2] }],
      [{ nodeId: "a", fields: [3, 4] }, { nodeId: "c", fields: [0] }],
      [{ nodeId: "c", fields: [1, 2, 3] }],
    ]);
    expect(chunkNodeFields([n("a", 0)], 3)).toStrictEqual([]);
  });

  it("a large readout becomes several <fields> messages, done only on the last", () => {
    const fields: Field[] = Array.from({ length: 600 }, (_, i) => ({ type: "numeric", name: `f${i}`, value: i, unit: "", decimals: 0, timestamp: new Date(0), kind: "historicalHour" }));
    const msgs = buildReadoutMessages("c@x/r", "1", [{ nodeId: "a", fields }], []);
    expect(msgs.map((m) => m.getChild("fields")!.attrs.done)).toStrictEqual([undefined, undefined, "true"]);
    expect(msgs.map((m) => m.getChild("fields")!.getChild("node")!.getChild("timestamp")!.getChildren("numeric").length)).toStrictEqual([250, 250, 100]);
    expect(Math.max(...msgs.map((m) => m.toString().length))).toBeLessThan(64 * 1024);
  });
});
