// Shared by the .deb tests (vitest.packaging.config.ts; .ci/run builds the packages first).
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { debFileName, LAYOUT, type DebArch } from "../../../scripts/package/deb-meta.js";

export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
export const VERSION = (JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string }).version;
export const run = promisify(execFile);

/** release/thingd_<version>_<arch>.deb; fails with the command that builds it. */
export function releaseDeb(arch: DebArch): string {
  const deb = path.join(REPO, "release", debFileName(VERSION, arch));
  if (!existsSync(deb)) throw new Error(`${deb} is missing: npm run package -- --arch ${arch}`);
  return deb;
}

/** Fails loudly with the install command when a tool is missing (tests never skip). */
export function requireTool(tool: string, install: string): void {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
  } catch {
    throw new Error(`'${tool}' not found: ${install}`);
  }
}

/** The arm64 loader and C++ runtime qemu-user needs to run the bundled node (with -L /). */
export function requireArm64Userland(): void {
  requireTool("qemu-aarch64-static", "sudo apt-get install -y qemu-user-static");
  if (!existsSync("/lib/ld-linux-aarch64.so.1") || !existsSync("/usr/lib/aarch64-linux-gnu/libstdc++.so.6")) {
    throw new Error(
      "arm64 libc/libstdc++ missing: sudo dpkg --add-architecture arm64 && sudo apt-get update && sudo apt-get install -y libc6:arm64 libstdc++6:arm64",
    );
  }
}

/** `dpkg-deb -x` into a new temp folder; returns it. */
export async function unpack(deb: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "thingd-deb-"));
  await run("dpkg-deb", ["-x", deb, dir]);
  return dir;
}

/** The unpacked package's runtime and entry point, optionally under qemu-user. */
export function debProgram(root: string, emulate: boolean): string[] {
  const node = path.join(root, LAYOUT.node);
  const entry = path.join(root, LAYOUT.entry);
  return emulate ? ["qemu-aarch64-static", "-L", "/", node, entry] : [node, entry];
}

const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A `wrap` for runThingd (test/helpers/agent-process.ts) that runs `program` instead of this
 * test's node and dist/: runThingd appends its node and main.js, which the shell drops (exec
 * keeps the pid, so signals reach thingd).
 */
export function wrapFor(program: readonly string[]): string[] {
  return ["sh", "-c", `shift 2; exec ${program.map(shQuote).join(" ")} "$@"`, "sh"];
}
