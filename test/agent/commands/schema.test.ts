// The published JSON Schema: the committed file matches the generator, it names every driver
// with its required keys, and the shipped examples both load and fit it. (No ajv here: our
// loader is the real check; the structural checks below cover what the schema adds.)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { sensorMapJsonSchema, sensorMapJsonSchemaText, SCHEMA_TITLE } from "../../../agent/config/json-schema.js";
import { parseConfig } from "../../../agent/config/load.js";
import { COMMON_SENSOR_KEYS } from "../../../agent/config/schema.js";
import { schemaCommand } from "../../../agent/commands/schema.js";
import { DRIVERS, driverNames } from "../../../drivers/registry.js";
import { generate, GENERATED, repoRoot, SCHEMA_FILE } from "../../../scripts/gen-schema.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

// Loose on purpose: the test walks the generated JSON by hand.
type Json = Record<string, any>;

const schema = sensorMapJsonSchema() as Json;
const items = schema.properties.sensors.items as Json;
const branches = items.allOf[1].oneOf as Json[];

function branchFor(driver: string): Json {
  const b = branches.find((x) => x.properties.driver.const === driver);
  if (!b) throw new Error(`no branch for ${driver}`);
  return b;
}

/** What the schema demands of one sensors[] entry, checked by hand (keys, required, every/cron). */
function fitsEntry(entry: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const b = branchFor(String(entry.driver));
  for (const key of Object.keys(entry)) if (!(key in b.properties)) problems.push(`unknown key ${key}`);
  for (const key of [...items.required, ...b.required] as string[]) if (!(key in entry)) problems.push(`missing ${key}`);
  if (("every" in entry) === ("cron" in entry)) problems.push("not exactly one of every/cron");
  return problems;
}

describe("sensor map JSON Schema", () => {
  it("the committed schema/sensor-map.schema.json is the generated one (npm run build regenerates it)", () => {
    expect(repoRoot()).toBe(ROOT);
    const committed = readFileSync(path.join(ROOT, SCHEMA_FILE), "utf8");
    expect(committed).toBe(sensorMapJsonSchemaText());
  });

  it("the generator's --check agrees for every generated file", async () => {
    expect(GENERATED.map((g) => g.file)).toContain(path.join("examples", "all-drivers.yaml"));
    expect(await generate(ROOT, true)).toStrictEqual([]);
  });

  it("has $schema, title, description and the top-level keys", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.title).toBe(SCHEMA_TITLE);
    expect(schema.description).toMatch(/thingd check/);
    expect(schema.required).toStrictEqual(["xmpp", "sensors"]); // state_dir has a default
    expect(schema.properties.xmpp.required).toStrictEqual(["jid"]); // service: a list, or DNS SRV when absent
    expect(schema.additionalProperties).toBe(false);
  });

  it("lists every driver in the enum and gives each one a branch with its own keys", () => {
    expect(items.properties.driver.enum).toStrictEqual(driverNames());
    expect(items.required).toStrictEqual(["id", "driver"]);
    expect(branches.map((b) => b.title)).toStrictEqual(driverNames());
    for (const d of DRIVERS) {
      const b = branchFor(d.name);
      const own = z.toJSONSchema(d.configSchema, { io: "input" }) as Json;
      expect(b.description).toBe(d.description);
      expect(b.additionalProperties).toBe(false);
      expect(Object.keys(b.properties)).toStrictEqual([...COMMON_SENSOR_KEYS, ...Object.keys(own.properties)]);
      expect(b.required).toStrictEqual(["driver", ...(own.required ?? [])]);
    }
    expect(branchFor("simulated").required).toContain("fields");
    expect(branchFor("pms5003").required).toContain("port");
  });

  it("each driver's documented example fits its branch", () => {
    for (const d of DRIVERS) expect(fitsEntry({ id: "x", driver: d.name, every: "10s", ...d.example }), d.name).toStrictEqual([]);
    expect(fitsEntry({ id: "x", driver: "pms5003", every: "1s", cron: "* * * * *", port: "/dev/serial0", fields: [] })).toStrictEqual([
      "unknown key fields",
      "not exactly one of every/cron",
    ]);
  });

  it("the shipped example and the valid test cases load and fit the schema", () => {
    const cases = path.join(ROOT, "test", "cases");
    const files = [
      path.join(ROOT, "examples", "sensors.yaml"),
      ...readdirSync(cases)
        .filter((n) => n.startsWith("valid-"))
        .map((n) => path.join(cases, n, "sensor-map.yaml"))
        .filter((f) => existsSync(f)),
    ];
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      expect(() => parseConfig(text, file, { THINGD_PASSWORD: "pw" }), file).not.toThrow();
      const doc = parse(text) as Json;
      for (const key of Object.keys(doc)) expect(schema.properties, `${file}: ${key}`).toHaveProperty(key);
      for (const entry of doc.sensors as Json[]) expect(fitsEntry(entry), `${file}: ${String(entry.id)}`).toStrictEqual([]);
    }
  });

  it("thingd schema prints it", async () => {
    const out: string[] = [];
    expect(await schemaCommand({}, { out: (l) => out.push(l), err: () => {} })).toBe(0);
    expect(JSON.parse(out.join("\n"))).toStrictEqual(schema);
  });
});
