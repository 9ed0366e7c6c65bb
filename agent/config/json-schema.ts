// The sensor map as a JSON Schema, for editors (YAML language servers complete and check keys
// as you type) and for `thingd schema`. Generated from the zod schemas, never written by hand:
// the file schema (./schema.ts) gives the common keys, each driver's configSchema gives the
// rest of a sensors[] entry. `thingd check` stays the authority: cron syntax, duration
// minimums, duplicate ids, files and the password can't all be said in JSON Schema.
import { z } from "zod";
import { DRIVERS } from "../../drivers/registry.js";
import type { AnyDriverDefinition } from "../../drivers/types.js";
import { sensorMapSchema } from "./schema.js";

type JsonObject = Record<string, unknown>;

// io "input": a key with a default may be left out of the file, so it is not `required`.
// unrepresentable "any": a refinement or transform a driver adds must not break the command;
// that part is just left unchecked by editors (the loader still checks it).
const OPTIONS = { io: "input", unrepresentable: "any" } as const;

export const SCHEMA_TITLE = "thingd sensor map";

export function sensorMapJsonSchema(): JsonObject {
  const { $schema, ...root } = z.toJSONSchema(sensorMapSchema, OPTIONS) as JsonObject;
  const sensors = (root.properties as Record<string, JsonObject>).sensors;
  const common = sensors?.items as JsonObject | undefined;
  if (!sensors || !common) throw new Error("sensorMapSchema has no sensors[] items");
  const commonProps = common.properties as Record<string, JsonObject>;
  sensors.items = {
    type: "object",
    description: "One sensor: the common keys, plus the keys of its driver",
    properties: commonProps,
    required: common.required,
    allOf: [
      { description: 'Exactly one of "every" or "cron"', oneOf: [{ required: ["every"] }, { required: ["cron"] }] },
      // A driver's keys are only allowed with that driver: `driver` is a const in each branch.
      { oneOf: DRIVERS.map((d) => driverBranch(d, commonProps)) },
    ],
  };
  return {
    $schema,
    title: SCHEMA_TITLE,
    description:
      "The sensor map of thingd (e.g. /etc/thingd/sensors.yaml). Generated from agent/config/schema.ts and the drivers' configSchema by scripts/gen-schema.ts; `thingd check` is the complete check.",
    ...root,
  };
}

/** The exact text of schema/sensor-map.schema.json. */
export function sensorMapJsonSchemaText(): string {
  return `${JSON.stringify(sensorMapJsonSchema(), null, 2)}\n`;
}

/** One driver's sensors[] entry: the common keys (already checked above) plus its own, nothing else. */
function driverBranch(driver: AnyDriverDefinition, commonProps: Record<string, JsonObject>): JsonObject {
  const { $schema: _, ...own } = z.toJSONSchema(driver.configSchema, OPTIONS) as JsonObject;
  // $defs would need hoisting to the root to resolve; no driver needs them yet, so say so loudly.
  if (own.type !== "object" || typeof own.properties !== "object" || own.$defs) {
    throw new Error(`driver ${driver.name}: configSchema must be a plain z.object() to publish as JSON Schema`);
  }
  return {
    title: driver.name,
    description: driver.description,
    ...own,
    properties: {
      ...commonProps,
      driver: { const: driver.name },
      ...(own.properties as JsonObject),
    },
    required: ["driver", ...((own.required as string[] | undefined) ?? [])],
  };
}
