// The generator of examples/all-drivers.yaml: one entry per hardware driver with its example
// keys, hex where datasheets use hex, and no two examples on the same port, address or pin.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DRIVERS } from "../../../drivers/registry.js";
import type { AnyDriverDefinition } from "../../../drivers/types.js";
import { allDriversExampleText, exampleDrivers, exampleSensorId } from "../../../scripts/lib/all-drivers-example.js";

const bh1750 = DRIVERS.find((d) => d.name === "bh1750")!;
const sht3x = DRIVERS.find((d) => d.name === "sht3x")!;

describe("allDriversExampleText", () => {
  it("has every driver but simulated, each with its example keys, in registry order", () => {
    const doc = parse(allDriversExampleText()) as { sensors: Array<Record<string, unknown>> };
    expect(doc.sensors.map((s) => s.driver)).toStrictEqual(DRIVERS.map((d) => d.name).filter((n) => n !== "simulated"));
    for (const s of doc.sensors) {
      const d = exampleDrivers().find((x) => x.name === s.driver)!;
      expect(s).toStrictEqual({ id: exampleSensorId(d.name), driver: d.name, every: "30s", ...d.example });
    }
    expect(exampleSensorId("gpio-input")).toBe("gpio_input");
  });

  it("writes addresses and registers in two-digit hex and quotes strings YAML 1.1 would read as booleans", () => {
    const text = allDriversExampleText();
    expect(text).toContain("    address: 0x23\n");
    expect(text).toContain("    register: 0x00\n");
    expect(text).toContain('    initial: "off"\n');
    expect(text).toMatch(/^# yaml-language-server: \$schema=\.\.\/schema\/sensor-map\.schema\.json\n/);
  });

  it("refuses two examples on the same I2C address or serial port, naming both drivers", () => {
    const clash: AnyDriverDefinition = { ...sht3x, name: "sht3x-copy", example: { ...sht3x.example } };
    expect(() => allDriversExampleText([sht3x, clash])).toThrow(/drivers sht3x and sht3x-copy: both examples use i2c-1 address 69/);
    const pms = DRIVERS.find((d) => d.name === "pms5003")!;
    const other: AnyDriverDefinition = { ...pms, name: "pms-copy" };
    expect(() => allDriversExampleText([pms, other])).toThrow(/both examples use port \/dev\/serial0/);
    expect(() => allDriversExampleText([bh1750, sht3x])).not.toThrow();
  });
});
