// What each .deb holds besides the agent (dpkg-deb -c): the web console's built files in
// /usr/share/thingd/console, thingd-registry (launcher, its app in dist/registry, the unit) and
// the registry's example configuration (docs/packaging.md "Layout").
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONSOLE_FILES, isConsoleFile } from "../../../scripts/package/file-list.js";
import { LAYOUT } from "../../../scripts/package/deb-meta.js";
import { releaseDeb, REPO, run } from "./deb-helpers.js";

/** path → "mode owner/group" of every regular file in the package. */
async function files(deb: string): Promise<Map<string, string>> {
  const { stdout } = await run("dpkg-deb", ["-c", deb], { maxBuffer: 64 * 1024 * 1024 });
  const out = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const m = /^(\S+)\s+(\S+)\s+\d+\s+\S+\s+\S+\s+\.(\/\S+)$/.exec(line);
    if (m && m[1]!.startsWith("-")) out.set(m[3]!, `${m[1]} ${m[2]}`);
  }
  return out;
}

describe.each(["amd64", "arm64"] as const)("%s .deb contents", (arch) => {
  it("the console's files in /usr/share/thingd/console, world-readable, not in the app's dist/", async () => {
    const f = await files(releaseDeb(arch));
    for (const name of CONSOLE_FILES) expect(f.get(`${LAYOUT.console}/${name}`), name).toBe("-rw-r--r-- root/root");
    // Every file the build put in dist/console, the split-off chunks included, and nothing else.
    const built = readdirSync(path.join(REPO, "dist/console")).filter(isConsoleFile).sort();
    const shipped = [...f.keys()]
      .filter((p) => p.startsWith(`${LAYOUT.console}/`))
      .map((p) => p.slice(LAYOUT.console.length + 1))
      .sort();
    expect(shipped).toStrictEqual(built);
    expect([...f.keys()].filter((p) => p.startsWith(`${LAYOUT.app}/dist/console/`))).toStrictEqual([]);
  });

  it("thingd-registry: launcher, app, unit and example configuration", async () => {
    const f = await files(releaseDeb(arch));
    expect(f.get(LAYOUT.registryLauncher)).toBe("-rwxr-xr-x root/root");
    expect(f.get(LAYOUT.registryEntry)).toBe("-rw-r--r-- root/root");
    expect(f.get(`${LAYOUT.unitDir}/thingd-registry.service`)).toBe("-rw-r--r-- root/root");
    expect(f.get(LAYOUT.registryExample)).toBe("-rw-r--r-- root/root");
  });
});
