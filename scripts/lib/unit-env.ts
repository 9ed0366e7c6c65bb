// The environment systemd/thingd.service gives thingd (its Environment= lines), so benchmarks
// and chaos tests run thingd as deployed. NODE_OPTIONS is appended to the caller's own.
import { readFileSync } from "node:fs";

export function unitEnvironment(unitFile: string | URL): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of readFileSync(unitFile, "utf8").matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm)) env[m[1]!] = m[2]!;
  return env;
}

/** process.env with the unit's variables applied (NODE_OPTIONS appended, not replaced). */
export function envAsDeployed(unitFile: string | URL): NodeJS.ProcessEnv {
  const unit = unitEnvironment(unitFile);
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ""} ${unit.NODE_OPTIONS ?? ""}`.trim();
  return { ...process.env, ...unit, NODE_OPTIONS: nodeOptions };
}
