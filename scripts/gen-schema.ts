// Writes the files derived from the driver registry and the sensor-map schema:
//   schema/sensor-map.schema.json   (shipped with the package, for editors), from the zod schemas
//   examples/all-drivers.yaml       one entry per driver, from each driver's `example`
// `npm run build` runs it, so adding a driver updates both. Usage after tsc:
//   node dist/scripts/gen-schema.js            (write)
//   node dist/scripts/gen-schema.js --check    (exit 1 if a committed file is out of date: .ci/run)
// test/agent/commands/schema.test.ts also fails while a committed file is out of date.
import { existsSync } from "node:fs";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sensorMapJsonSchemaText } from "../agent/config/json-schema.js";
import { allDriversExampleText, EXAMPLE_FILE } from "./lib/all-drivers-example.js";

export const SCHEMA_FILE = path.join("schema", "sensor-map.schema.json");

/** Every generated file (relative to the repository root) and how to make its text. */
export const GENERATED: ReadonlyArray<{ file: string; text: () => string }> = [
  { file: SCHEMA_FILE, text: sensorMapJsonSchemaText },
  { file: EXAMPLE_FILE, text: () => allDriversExampleText() },
];

/** The folder holding package.json, from here: scripts/ in the source tree, dist/scripts/ when built. */
export function repoRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/**
 * Write the generated files (or, with `check`, only compare). Returns the files that were out
 * of date (written, or with `check` left as they are); empty when all were current.
 */
export async function generate(root = repoRoot(), check = false): Promise<string[]> {
  const stale: string[] = [];
  for (const { file, text } of GENERATED) {
    const target = path.join(root, file);
    const want = text();
    const current = await readFile(target, "utf8").catch(() => undefined);
    if (current === want) continue;
    stale.push(file);
    if (check) continue;
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, want);
  }
  return stale;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes("--check");
  const stale = await generate(repoRoot(), check);
  if (check && stale.length > 0) {
    process.stderr.write(`out of date: ${stale.join(", ")}: run "npm run build" (or node dist/scripts/gen-schema.js) and commit them\n`);
    process.exitCode = 1;
  } else {
    for (const { file } of GENERATED) process.stdout.write(`${file} ${stale.includes(file) ? "written" : "is up to date"}\n`);
  }
}
