// Invariants over every driver (in the manner of zigbee-herdsman-converters' checks.test.ts).
import { describe, expect, it } from "vitest";
import { DRIVERS, findDriver } from "../../drivers/registry.js";
import { UNITS } from "../../drivers/types.js";

describe("driver registry", () => {
  it("has unique names", () => {
    const names = DRIVERS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(DRIVERS.map((d) => [d.name, d] as const))("%s: example passes its schema; every numeric field has a known unit", (name, d) => {
    expect(findDriver(name)).toBe(d);
    const parsed = d.configSchema.safeParse(d.example);
    expect(parsed.error?.issues ?? []).toStrictEqual([]);
    const fields = d.describeFields(parsed.data);
    expect(fields.length).toBeGreaterThan(0);
    for (const f of fields) {
      if (f.type === "numeric") expect(UNITS).toContain(f.unit);
    }
    expect(d.description.length).toBeGreaterThan(10);
  });
});
