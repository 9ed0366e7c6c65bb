import { describe, expect, it } from "vitest";
import { formatDateTime, formatDecimal, isXsInt, parseXsBoolean } from "../../../agent/protocol/xsd.js";

describe("xsd", () => {
  it("formats decimals lexically, never as String(float)", () => {
    expect(formatDecimal(21.4, 2)).toBe("21.40");
    expect(formatDecimal(0.1 + 0.2, 2)).toBe("0.30");
    expect(formatDecimal(-0.04, 1)).toBe("0.0");
    expect(formatDecimal(-1.25, 1)).toBe("-1.3");
    expect(formatDecimal(1013.25, 0)).toBe("1013");
  });
  it("booleans", () => {
    expect(parseXsBoolean("1", "a")).toBe(true);
    expect(parseXsBoolean("false", "a")).toBe(false);
    expect(parseXsBoolean(undefined, "a")).toBeUndefined();
    expect(() => parseXsBoolean("TRUE", "a")).toThrow(/expected xs:boolean/);
  });
  it("ints", () => {
    expect(isXsInt("-2147483648")).toBe(true);
    expect(isXsInt("2147483648")).toBe(false);
    expect(isXsInt("1.0")).toBe(false);
  });
  it("XEP-0082 UTC without fraction", () => {
    expect(formatDateTime(new Date(Date.UTC(2024, 4, 1, 10, 15, 0, 999)))).toBe("2024-05-01T10:15:00Z");
  });
});
