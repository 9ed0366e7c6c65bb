// GPIO for the real thingd process without hardware: thingd runs in a private mount namespace
// (`unshare -m`, root) where a folder of ours is bind-mounted on /sys/class, holding a gpiochip
// (base 512, as on a Pi 4 with kernel 6.6+) and pre-exported gpioN/ files. The real onoff writes
// the value files there, and tests read them from outside.
import { spawnSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "vitest";

export interface FakeGpioTree {
  /** Arguments for runThingd's `wrap`: run the command with the tree mounted on /sys/class. */
  wrap: string[];
  /** One file of a line, trimmed: value, direction, active_low, edge. */
  read(line: string, file?: string): Promise<string>;
}

/** Fails (never skips) when the test cannot run here: needs root and unshare. */
export function expectNamespaceSupport(): void {
  expect(process.getuid?.(), "needs root for unshare -m and mount --bind").toBe(0);
  expect(spawnSync("unshare", ["--version"]).error, "needs unshare from util-linux").toBeUndefined();
}

/** Builds <dir>/sysclass/gpio with a gpiochip512 and the named lines (e.g. "gpio529"). */
export async function fakeGpioTree(dir: string, lines: readonly string[]): Promise<FakeGpioTree> {
  const gpioDir = path.join(dir, "sysclass", "gpio");
  const chip = path.join(gpioDir, "gpiochip512");
  await mkdir(chip, { recursive: true });
  await writeFile(path.join(chip, "base"), "512\n");
  await writeFile(path.join(chip, "label"), "pinctrl-bcm2711\n");
  await writeFile(path.join(chip, "ngpio"), "58\n");
  await writeFile(path.join(gpioDir, "export"), "");
  await writeFile(path.join(gpioDir, "unexport"), "");
  // A plain folder does not create gpioN/ on export: pre-create them (onoff then reuses them).
  for (const line of lines) {
    await mkdir(path.join(gpioDir, line));
    for (const [f, v] of [["value", "0\n"], ["direction", "in\n"], ["edge", "none\n"], ["active_low", "0\n"]] as const) {
      await writeFile(path.join(gpioDir, line, f), v);
    }
  }
  return {
    wrap: ["unshare", "-m", "--propagation", "private", "sh", "-c", 'mount --bind "$0" /sys/class && exec "$@"', path.join(dir, "sysclass")],
    read: async (line, file = "value") => (await readFile(path.join(gpioDir, line, file), "utf8")).trim(),
  };
}
