// Import-cycle check (npm run check:cycles, part of npm run lint). madge builds the module graph
// from every .ts file, `import type` edges included (ESLint's import-x/no-cycle skips those), and
// dynamic imports too. Exit 1 on any cycle not in KNOWN.
import madge from "madge";

// Cycles being removed on another branch (one dialect-neutral readout request type in a leaf
// module; history outcomes no longer re-exported through readout.ts). Delete each entry when
// its cycle is gone; this script says so when it is.
const KNOWN = [
  ["agent/protocol/sensordata.ts", "agent/protocol/req-body.ts"],
  ["agent/history/outcomes.ts", "agent/sensordata/readout.ts"],
];

const key = (cycle) => [...cycle].sort().join(" > ");
const known = new Set(KNOWN.map(key));

const graph = await madge(".", {
  fileExtensions: ["ts"],
  tsConfig: "tsconfig.json",
  excludeRegExp: [/^(dist|node_modules|release|coverage)\//],
});
const skipped = graph.warnings().skipped;
if (skipped.length > 0) {
  console.error(`check-cycles: could not resolve ${skipped.length} import(s): ${skipped.join(", ")}`);
  process.exit(1);
}
const cycles = graph.circular();
const fresh = cycles.filter((c) => !known.has(key(c)));
const found = new Set(cycles.map(key));
for (const k of known) if (!found.has(k)) console.log(`check-cycles: "${k}" is gone; remove it from KNOWN in scripts/check-cycles.js`);
if (fresh.length > 0) {
  console.error(`check-cycles: ${fresh.length} import cycle(s):`);
  for (const c of fresh) console.error(`  ${c.join(" > ")} > ${c[0]}`);
  process.exit(1);
}
console.log(`check-cycles: ${Object.keys(graph.obj()).length} modules, no new import cycle${KNOWN.length ? ` (${cycles.length} known, listed in scripts/check-cycles.js)` : ""}`);
