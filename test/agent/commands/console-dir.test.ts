// Where `thingd console` looks for the built console: a checkout's dist/, the Debian package's
// /usr/share/thingd/console (docs/packaging.md), and the same place inside an unpacked package tree.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { consoleDirCandidates, findConsoleDir, PACKAGED_CONSOLE_DIR } from "../../../agent/commands/console.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("consoleDirCandidates", () => {
  it("from the bundle and from the tsc modules: dist/console first, then the package's folder", () => {
    expect(consoleDirCandidates("file:///src/thingd/dist/thingd.bundle.mjs")).toStrictEqual(["/src/thingd/dist/console/", "/usr/share/thingd/console/"]);
    expect(consoleDirCandidates("file:///src/thingd/dist/agent/commands/console.js")).toStrictEqual([
      "/src/thingd/dist/console/",
      "/usr/share/thingd/console/",
    ]);
  });

  it("an unpacked package tree finds its own usr/share/thingd/console", () => {
    expect(consoleDirCandidates("file:///tmp/x/opt/thingd/app/dist/thingd.bundle.mjs")).toStrictEqual([
      "/tmp/x/opt/thingd/app/dist/console/",
      "/tmp/x/usr/share/thingd/console/",
      "/usr/share/thingd/console/",
    ]);
    expect(PACKAGED_CONSOLE_DIR).toBe("/usr/share/thingd/console");
  });
});

describe("findConsoleDir", () => {
  it("takes the package layout when dist/ has no console, and none when neither has an index.html", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "thingd-console-dir-"));
    dirs.push(root);
    const bundle = pathToFileURL(path.join(root, "opt/thingd/app/dist/thingd.bundle.mjs")).href;
    const shared = path.join(root, "usr/share/thingd/console");
    await mkdir(shared, { recursive: true });
    const found = await findConsoleDir(bundle);
    // No index.html yet: only the real /usr/share/thingd/console could match (a host with the package).
    expect(found === undefined || found === "/usr/share/thingd/console/").toBe(true);
    await writeFile(path.join(shared, "index.html"), "<!doctype html>");
    expect(await findConsoleDir(bundle)).toBe(`${shared}/`);
    await mkdir(path.join(root, "opt/thingd/app/dist/console"), { recursive: true });
    await writeFile(path.join(root, "opt/thingd/app/dist/console/index.html"), "<!doctype html>");
    expect(await findConsoleDir(bundle)).toBe(path.join(root, "opt/thingd/app/dist/console/"));
  });
});
