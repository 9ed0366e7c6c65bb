import { describe, expect, it } from "vitest";
import { chunkNodes } from "../../agent/protocol/chunk-fields.js";
import { buildReadoutMessages } from "../../agent/protocol/sensordata.js";
import { NS_SENSORDATA } from "../../agent/protocol/ns.js";

const node = (id: string, n: number) => ({
  nodeId: id,
  fields: Array.from({ length: n }, (_, i) => ({ type: "numeric" as const, name: `f${i}`, value: i, unit: "°C" as const, decimals: 1, timestamp: new Date(0) })),
});

describe("chunkNodes", () => {
  it("packs whole nodes up to the field budget, never splitting one", () => {
    const sizes = (chunks: Array<Array<{ nodeId: string }>>) => chunks.map((c) => c.map((n) => n.nodeId).join(","));
    expect(sizes(chunkNodes([node("a", 3), node("b", 3), node("c", 3)], 6))).toStrictEqual(["a,b", "c"]);
    expect(sizes(chunkNodes([node("big", 10), node("x", 1)], 6))).toStrictEqual(["big", "x"]);
    expect(chunkNodes([], 6)).toStrictEqual([]);
  });
});

describe("buildReadoutMessages for a 1,000-node readout", () => {
  it("stays under Prosody's 256 KiB stanza limit per message, done only on the last", () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => node(`n${i}`, 5));
    const messages = buildReadoutMessages("c@example.org/r", "7", nodes, []);
    expect(messages.length).toBe(10);
    for (const m of messages) expect(Buffer.byteLength(m.toString())).toBeLessThan(100_000);
    expect(messages.map((m) => m.getChild("fields", NS_SENSORDATA)!.attrs.done)).toStrictEqual([...Array(9).fill(undefined), "true"]);
    expect(messages.flatMap((m) => m.getChild("fields", NS_SENSORDATA)!.getChildren("node")).length).toBe(1000);
  });

  it("still sends one empty <fields done='true'> when nothing matched, and failure last", () => {
    expect(buildReadoutMessages("c@example.org/r", "7", [], []).map((m) => m.toString())).toStrictEqual([
      `<message to="c@example.org/r"><fields xmlns="${NS_SENSORDATA}" seqnr="7" done="true"/></message>`,
    ]);
    const withFailure = buildReadoutMessages("c@example.org/r", "7", [node("a", 1)], [{ nodeId: "b", message: "x", timestamp: new Date(0) }]);
    expect(withFailure.map((m) => m.getChildElements()[0]!.name)).toStrictEqual(["fields", "failure"]);
  });
});
