import { describe, expect, it } from "vitest";
import { dewPoint, dewPointField } from "../../drivers/dew-point.js";

describe("dew point (Magnus, Sonntag 1990 constants)", () => {
  it("matches reference values", () => {
    expect(dewPoint(20, 50)).toBeCloseTo(9.26, 2);
    expect(dewPoint(25, 50)).toBeCloseTo(13.85, 2);
    expect(dewPoint(0, 100)).toBeCloseTo(0, 10); // saturated air: dew point = temperature
    expect(dewPoint(-10, 80)).toBeCloseTo(-12.8, 1);
  });

  it("has no value at 0 %RH and yields no field then", () => {
    expect(dewPoint(20, 0)).toBeUndefined();
    expect(dewPointField(20, 0, 2, new Date(0))).toStrictEqual([]);
  });

  it("is a computed °C field with the given decimals", () => {
    const [f] = dewPointField(20, 50, 1, new Date(0));
    expect(f).toMatchObject({ type: "numeric", name: "dew_point", unit: "°C", decimals: 1, kind: "computed" });
  });
});
