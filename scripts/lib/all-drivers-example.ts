// examples/all-drivers.yaml, written from the driver registry: one sensor entry per driver
// (but `simulated`, which needs no hardware) with the driver's own `example` keys. So a new
// driver appears in the example, in `thingd check`'s coverage of it (test/agent/config) and in
// the all-drivers e2e read (test/e2e/all-drivers.e2e.test.ts) by its registry line alone.
import { Document, isScalar, visit } from "yaml";
import { DRIVERS } from "../../drivers/registry.js";
import type { AnyDriverDefinition } from "../../drivers/types.js";

export const EXAMPLE_FILE = "examples/all-drivers.yaml";

/** The drivers the example shows: every one that talks to hardware. */
export function exampleDrivers(drivers: readonly AnyDriverDefinition[] = DRIVERS): AnyDriverDefinition[] {
  return drivers.filter((d) => d.name !== "simulated");
}

/** The sensor id of a driver's entry: its name as an XEP-0323 friendly node id ("gpio-input" → "gpio_input"). */
export function exampleSensorId(driver: string): string {
  return driver.replaceAll("-", "_");
}

const HEADER = `# yaml-language-server: $schema=../schema/sensor-map.schema.json
# One entry for every driver thingd ships, with its sample settings (see README "Sensor reference").
# Generated from each driver's \`example\` in drivers/ by scripts/gen-schema.ts (\`npm run build\`):
# edit the driver, not this file. \`THINGD_PASSWORD=x thingd check -c examples/all-drivers.yaml\`
# validates it (the password file it names is not there); on a Pi, keep only the sensors you wired.
`;

const XMPP = {
  xmpp: { service: "xmpp://xmpp.example.org:5222", jid: "thing@example.org", password_file: "./password", resource: "gateway" },
  registry: { jid: "registry.example.org", meta: { MAN: "example.org", MODEL: "pi-gateway" } },
  state_dir: "./state",
};

/** Keys written in hex, as datasheets give them. */
const HEX_KEYS = new Set(["address", "register"]);
/** Strings a YAML 1.1 reader would take for booleans: quoted. */
const BOOLEAN_LIKE = /^(y|n|yes|no|on|off|true|false)$/i;

/**
 * Two example entries on the same serial port or I2C address could not both be wired: each
 * driver's example must name its own, so the example is one board's sensor map.
 */
function checkDistinct(drivers: readonly AnyDriverDefinition[]): void {
  const seen = new Map<string, string>();
  for (const d of drivers) {
    const e = d.example as { port?: unknown; bus?: unknown; address?: unknown; pin?: unknown; sensor?: unknown; device?: unknown };
    const where =
      d.bus === "serial"
        ? `port ${String(e.port)}`
        : d.bus === "i2c"
          ? `i2c-${String(e.bus ?? 1)} address ${String(e.address)}`
          : d.bus === "gpio"
            ? `GPIO${String(e.pin)}`
            : undefined;
    if (!where) continue;
    const other = seen.get(where);
    if (other) throw new Error(`drivers ${other} and ${d.name}: both examples use ${where}; give ${d.name} another in its \`example\``);
    seen.set(where, d.name);
  }
}

/** The exact text of examples/all-drivers.yaml. */
export function allDriversExampleText(drivers: readonly AnyDriverDefinition[] = DRIVERS): string {
  const shown = exampleDrivers(drivers);
  checkDistinct(shown);
  const sensors = shown.map((d) => ({ id: exampleSensorId(d.name), driver: d.name, every: "30s", ...d.example }));
  const doc = new Document({ ...XMPP, sensors });
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && HEX_KEYS.has(String(pair.key.value)) && isScalar(pair.value) && typeof pair.value.value === "number") {
        pair.value.format = "HEX";
      }
    },
    Scalar(_, node) {
      if (typeof node.value === "string" && BOOLEAN_LIKE.test(node.value)) node.type = "QUOTE_DOUBLE";
    },
  });
  // Two hex digits, as in datasheets and `thingd scan-i2c` (yaml writes 0x0).
  const body = doc.toString({ lineWidth: 0 }).replace(/^(\s*(?:- )?(?:address|register): 0x)([0-9a-f])$/gm, "$10$2");
  return HEADER + body;
}
