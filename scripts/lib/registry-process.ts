// The real `thingd-registry` (built dist/registry/main.js) as a child process with its JSON log
// collected, and its config file for a component of a local Prosody.
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ProsodyServer } from "./local-prosody.js";
import { spawnJsonLogged, type JsonLoggedChild } from "./json-log-child.js";

// This file runs compiled (dist/scripts/lib) or from source (scripts/lib, vitest); the
// registry always runs from the build.
const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIST = HERE.split(path.sep).includes("dist") ? path.resolve(HERE, "../..") : path.resolve(HERE, "../../dist");
export const REGISTRY_MAIN = path.join(DIST, "registry", "main.js");

export type RegistryProcess = JsonLoggedChild;

/** Writes <dir>/registry.yaml for `domain` on `server` (state in <dir>/registry-state). */
export async function writeRegistryConfig(dir: string, server: ProsodyServer, domain: string): Promise<string> {
  const secret = server.components.find((c) => c.domain === domain)?.secret;
  if (!secret) throw new Error(`component ${domain} not configured in Prosody`);
  const file = path.join(dir, "registry.yaml");
  await writeFile(
    file,
    `component:\n  service: xmpp://127.0.0.1:${server.componentPort}\n  jid: ${domain}\n  secret: ${secret}\nstate_dir: ./registry-state\n`,
  );
  return file;
}

export function runRegistryProcess(args: string[]): RegistryProcess {
  if (!existsSync(REGISTRY_MAIN)) throw new Error(`${REGISTRY_MAIN} is missing: run "npm run build"`);
  return spawnJsonLogged(process.execPath, [REGISTRY_MAIN, ...args], "thingd-registry");
}
