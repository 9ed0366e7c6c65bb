// Writes schema/sensor-map.schema.json (shipped with the package, for editors) from the zod
// schemas. Run after changing the sensor map or adding a driver:
//   npm run build && node dist/scripts/gen-schema.js          (write)
//   node dist/scripts/gen-schema.js --check                   (exit 1 if out of date, for CI)
// test/agent/commands/schema.test.ts fails while the committed file is out of date.
import { existsSync } from "node:fs";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sensorMapJsonSchemaText } from "../agent/config/json-schema.js";

export const SCHEMA_FILE = path.join("schema", "sensor-map.schema.json");

/** The folder holding package.json, from here: scripts/ in the source tree, dist/scripts/ when built. */
export function repoRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** Write the schema (or, with `check`, only compare); true when the file was already current. */
export async function generateSchema(root = repoRoot(), check = false): Promise<boolean> {
  const file = path.join(root, SCHEMA_FILE);
  const text = sensorMapJsonSchemaText();
  const current = await readFile(file, "utf8").catch(() => undefined);
  if (current === text || check) return current === text;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return false;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes("--check");
  const current = await generateSchema(repoRoot(), check);
  if (check && !current) {
    process.stderr.write(`${SCHEMA_FILE} is out of date: run "node dist/scripts/gen-schema.js"\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`${SCHEMA_FILE} ${current ? "is up to date" : "written"}\n`);
  }
}
