// Two builds of the same commit give the same bytes: the arm64 package (the one users install)
// is built again, in the same place, and compared with the one .ci/run built before.
import { createHash } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { buildDeb } from "../../../scripts/package/build.js";
import { releaseDeb } from "./deb-helpers.js";

let saved: string | undefined;
afterAll(async () => {
  if (saved) await rm(path.dirname(saved), { recursive: true, force: true });
});

it("a second build of the arm64 .deb is byte-identical to the first", async () => {
  const first = releaseDeb("arm64");
  saved = path.join(await mkdtemp(path.join(tmpdir(), "thingd-repro-")), path.basename(first));
  await copyFile(first, saved);
  // No lintian: it reads the package, it does not change it.
  const second = buildDeb({ arch: "arm64", outDir: "release", lintian: false });
  expect(second.deb).toBe(first);
  const [a, b] = await Promise.all([readFile(saved), readFile(second.deb)]);
  const sha = (x: Buffer): string => createHash("sha256").update(x).digest("hex");
  expect(b.length).toBeGreaterThan(1_000_000);
  // On a difference: `diffoscope` on the two files names the member that changed.
  expect(sha(b), `${saved} vs ${second.deb}`).toBe(sha(a));
}, 1_200_000);
