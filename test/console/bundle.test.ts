// The console bundle stays small: at most 150 KiB gzipped in all, and the QR decoder (jsQR)
// is a chunk of its own, fetched on the first scan, not part of console.js.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { bundleConsole } from "../../scripts/bundle-console.js";

it("bundles the console within 150 KiB gzipped, with the QR decoder loaded lazily", async () => {
  const out = await mkdtemp(path.join(tmpdir(), "thingd-console-bundle-"));
  try {
    const b = await bundleConsole(out);
    const gz = (files: string[]) => files.reduce((a, f) => a + (b.sizes[f]?.gzip ?? 0), 0);
    const total = gz(b.files);
    const start = gz(b.start);
    console.log(`console: ${(start / 1024).toFixed(1)} KiB gz at start, ${(total / 1024).toFixed(1)} KiB gz with the lazy chunks (${b.lazy.join(", ")})`);
    expect(total).toBeLessThanOrEqual(150 * 1024);
    expect(b.lazy.length).toBeGreaterThan(0);
    // jsQR's own error text is only in a lazy chunk.
    const marker = "Invalid monomial degree";
    const main = await readFile(path.join(out, "console.js"), "utf8");
    const lazy = await Promise.all(b.lazy.map((f) => readFile(path.join(out, f), "utf8")));
    expect(main).not.toContain(marker);
    expect(lazy.some((c) => c.includes(marker))).toBe(true);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
