// Debian's chromium (never a downloaded browser) driven by playwright-core, headless, with a
// fresh profile per launch. Fails with the install command when chromium is missing.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** `fakeCamera`: a Y4M file chromium's fake capture device plays as the camera (permission granted). */
export async function launchChromium(o: { fakeCamera?: string } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium is not installed: run \`apt-get install -y chromium\` (Debian)`);
  const camera = o.fakeCamera
    ? ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", `--use-file-for-fake-video-capture=${o.fakeCamera}`]
    : [];
  const profile = await mkdtemp(path.join(tmpdir(), "thingd-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 800 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", ...camera],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}
