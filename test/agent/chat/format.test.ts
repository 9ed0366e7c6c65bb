import { describe, expect, it } from "vitest";
import { formatReadout, readoutMarkdown } from "../../../agent/chat/format.js";

const at = new Date("2026-01-01T00:00:00Z");

describe("chat formatting", () => {
  it("one line a field, the failing node with its error", () => {
    const text = formatReadout([
      {
        nodeId: "room",
        fields: [
          { type: "numeric", name: "temperature", value: 21.456, unit: "°C", decimals: 2, timestamp: at },
          { type: "boolean", name: "door", value: true, timestamp: at },
        ],
      },
      { nodeId: "air", error: "read timed out after 500 ms", timestamp: at },
    ]);
    expect(text).toBe("room temperature: *21.46 °C*\nroom door: *true*\nair: FAILED read timed out after 500 ms");
    expect(formatReadout([])).toBe("No fields.");
  });

  it("a Markdown table escapes pipes", () => {
    expect(readoutMarkdown([{ nodeId: "a|b", fields: [{ type: "string", name: "s", value: "x|y", timestamp: at }] }]).split("\n")[2]).toBe(
      "| a\\|b | s | x\\|y |  |",
    );
  });
});
