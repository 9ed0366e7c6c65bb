// The console with the real Thing Registry, in chromium: Prosody (mod_websocket) with the real
// thingd-registry as a component, and a real thingd that registers unclaimed (no owner in its
// sensor map). The console finds the registry on the domain, reads a claim QR code from an
// image and from the (fake) camera, claims by the pasted iotdisco: URI, shows the Thing's
// status panel, and disowns it behind a keyboard-usable confirmation.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startConsoleServer, type ConsoleServer } from "../../agent/commands/console.js";
import { qrModules } from "../../agent/ownership/claim-label.js";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { localXmppSection } from "../../scripts/lib/sensor-map-yaml.js";
import { MAIN, runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { runRegistryProcess, writeRegistryConfig, type RegistryProcess } from "../helpers/registry-process.js";
import { tearDown } from "../helpers/thing-stack.js";
import { launchChromium, type Browser } from "./browser.js";
import { writeQrY4m } from "./fake-camera.js";

const REG = "registry.localhost";
const THING = "thing@localhost";
const DIST_CONSOLE = fileURLToPath(new URL("../../dist/console/", import.meta.url));
const DOCS = process.env.CONSOLE_SCREENSHOTS === "1" ? fileURLToPath(new URL("../../docs/", import.meta.url)) : tmpdir();

let server: ProsodyServer;
let registry: RegistryProcess;
let agent: AgentProcess;
let dir: string;
let web: ConsoleServer;
let browser: Browser;
/** The claim code as `thingd claim --json` prints it, and its label as `thingd claim --svg`. */
let uri: string;
let labelSvg: string;

const thingState = async () => JSON.parse(await readFile(path.join(dir, "state", "thing-state.json"), "utf8")) as { status: string; owner?: string };

function claimCli(...args: string[]): string {
  const r = spawnSync(process.execPath, [MAIN, "claim", "-c", path.join(dir, "sensors.yaml"), ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`thingd claim failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

async function login(query = ""): Promise<Page> {
  const page = await browser.context.newPage();
  page.on("console", (m) => console.log(`[browser] ${m.text()}`));
  await page.goto(`${web.url}?poll=1000&status=2000${query}`);
  await page.getByLabel("JID").fill("owner@localhost");
  await page.getByLabel("Password").fill("owner-pw");
  await page.getByLabel("WebSocket URL (optional)").fill(server.websocketUrl ?? "");
  // Thing Registry left empty: found by disco#items on localhost.
  await page.getByLabel("Thing Registry (optional)").fill("");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "My things" }).waitFor();
  await expect.poll(() => page.locator(".registry-line").textContent(), { timeout: 15_000 }).toBe(`Thing Registry: ${REG}`);
  return page;
}

const card = (page: Page) => page.locator(`article.card[data-jid="${THING}"]`);

beforeAll(async () => {
  server = await startProsody({
    websocket: true,
    users: ["thing", "owner"].map((u) => ({ user: u, password: `${u}-pw` })),
    components: [{ domain: REG, secret: "registry-secret" }],
  });
  dir = await mkdtemp(path.join(tmpdir(), "thingd-console-registry-"));
  registry = runRegistryProcess(["run", "-c", await writeRegistryConfig(dir, server, REG), "--log-level", "debug"]);
  await registry.waitForLog((l) => l.msg === "component online", 20_000);
  await writeFile(path.join(dir, "secret"), "thing-pw\n");
  // No registry.jid: thingd finds the registry itself, as the console does.
  await writeFile(
    path.join(dir, "sensors.yaml"),
    `${localXmppSection(server, { resource: "gateway", passwordFile: "./secret", keepalive: "5s" })}registry:
  meta: { MAN: example.com, MODEL: console-test }
state_dir: ./state
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", min: 15, max: 25, decimals: 2 }] }
  - { id: cellar, driver: simulated, every: 1s, fail: true, fields: [{ name: temperature, unit: "°C" }] }
`,
  );
  agent = runThingd(["run", "-c", path.join(dir, "sensors.yaml"), "--log-level", "debug"]);
  await agent.waitForLog((l) => l.msg === "registered with the Thing Registry", 30_000);
  uri = (JSON.parse(claimCli("--json")) as { uri: string }).uri;
  expect(uri).toMatch(/^iotdisco:.*KEY=.*;R=registry\.localhost$/);
  claimCli("--svg", path.join(dir, "label.svg"));
  labelSvg = path.join(dir, "label.svg");
  const camera = path.join(dir, "camera.y4m");
  await writeQrY4m(camera, qrModules(uri));
  web = await startConsoleServer(DIST_CONSOLE, "127.0.0.1", 0);
  browser = await launchChromium({ fakeCamera: camera });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await tearDown({ agent, components: [registry], server, dir });
});

describe("thingd console with thingd-registry, in chromium", () => {
  it("reads the claim code from `thingd claim --svg`'s label with the same decoder the camera uses", async () => {
    const page = await login();
    const chunks: string[] = [];
    page.on("request", (r) => {
      if (/\/chunk-[^/]+\.js$/.test(r.url())) chunks.push(r.url());
    });
    await expect(page.locator("article.card").count()).resolves.toBe(0);
    await page.getByLabel("Scan from image").setInputFiles(labelSvg);
    await expect.poll(() => page.getByLabel("Claim a thing: paste its iotdisco: URI").inputValue(), { timeout: 15_000 }).toBe(uri);
    const form = page.getByRole("form", { name: "Claim a thing" });
    const decoder = await form.getAttribute("data-decoder");
    expect(decoder).toMatch(/^(jsQR|BarcodeDetector)$/);
    console.log(`QR decoder in this chromium: ${decoder}`);
    if (decoder === "jsQR") expect(chunks.length).toBe(1); // the decoder, loaded on demand (not at login)
    await expect(form.getByRole("status").textContent()).resolves.toBe("Claim code read: check it and press Claim.");
    // A picture without a QR code says so and leaves the field alone.
    await page.getByLabel("Claim a thing: paste its iotdisco: URI").fill("");
    await page
      .getByLabel("Scan from image")
      .setInputFiles({
        name: "blank.svg",
        mimeType: "image/svg+xml",
        buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><rect width="200" height="200" fill="#fff"/></svg>'),
      });
    await expect.poll(() => form.getByRole("status").textContent(), { timeout: 15_000 }).toBe("No QR code found in that image.");
    await expect(page.getByLabel("Claim a thing: paste its iotdisco: URI").inputValue()).resolves.toBe("");
    await page.close();
  });

  it("scans the claim code with the camera (chromium's fake capture device showing the QR code)", async () => {
    const page = await login();
    await page.getByRole("button", { name: "Scan with camera" }).click();
    await expect.poll(() => page.getByLabel("Claim a thing: paste its iotdisco: URI").inputValue(), { timeout: 20_000 }).toBe(uri);
    await expect(page.getByRole("dialog").count()).resolves.toBe(0);
    await page.close();
  });

  it("claiming by the pasted URI goes through the registry and the Thing appears, with its status panel", async () => {
    const page = await login();
    await page.getByLabel("Claim a thing: paste its iotdisco: URI").fill(uri);
    await page.getByRole("button", { name: "Claim", exact: true }).click();
    await expect.poll(() => page.getByRole("form", { name: "Claim a thing" }).getByRole("status").textContent(), { timeout: 15_000 }).toBe(`Claimed ${THING}.`);
    await expect.poll(async () => (await thingState()).status, { timeout: 15_000 }).toBe("CLAIMED");
    expect((await thingState()).owner).toBe("owner@localhost");
    await card(page).waitFor({ timeout: 15_000 });
    await expect(card(page).locator(".badge.owned").textContent()).resolves.toBe("owned");
    await expect.poll(() => card(page).locator(".registry-label").textContent(), { timeout: 10_000 }).toContain("MODEL console-test");
    await expect
      .poll(() => card(page).locator('section.node[data-node="room"] tr[data-field="temperature"] .value').textContent(), { timeout: 30_000 })
      .toMatch(/^-?\d+(\.\d+)? °C$/);
    // Status panel: uptime per node, grows (re-read every 2 s here), the failing node's errors.
    const status = card(page).getByRole("region", { name: /^Status of / });
    const uptime = status.locator('tr[data-node="room"] td.uptime');
    await expect.poll(() => uptime.textContent(), { timeout: 15_000 }).toMatch(/^\d+ (s|min \d+ s)$/);
    const first = await uptime.textContent();
    await expect.poll(() => uptime.textContent(), { timeout: 15_000 }).not.toBe(first);
    await expect(status.locator('tr[data-node="room"] td.driver').textContent()).resolves.toBe("simulated");
    await expect(status.locator("header .identity").textContent()).resolves.toMatch(/^thingd \d+\.\d+\.\d+/);
    await expect.poll(async () => Number(await status.locator('tr[data-node="cellar"] td.errors').textContent()), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect(status.locator('tr[data-node="cellar"] td.last-error').textContent()).resolves.toContain("simulated failure");
    await expect(status.locator('tr[data-node="room"] td.last-error').textContent()).resolves.toBe("none");
    // Status fields live in the panel, not among the values.
    await expect(card(page).locator('section.node tr[data-field="uptime"]').count()).resolves.toBe(0);
    await page.screenshot({ path: path.join(DOCS, "console-claimed.png"), fullPage: true });
    // A phone's width: nothing wider than the screen (tables scroll inside their card).
    await page.setViewportSize({ width: 360, height: 740 });
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: path.join(DOCS, "console-phone.png"), fullPage: true });
    await page.close();
  });

  it("an owned Thing removed from the contacts stays listed from the registry; Add to contacts brings its values back", async () => {
    const page = await login();
    await card(page).waitFor({ timeout: 15_000 });
    await expect.poll(() => card(page).locator(".badge.owned").count(), { timeout: 10_000 }).toBe(1);
    await card(page)
      .getByRole("button", { name: /^Remove .+ from contacts$/ })
      .click();
    const dialog = page.getByRole("dialog", { name: /^Remove .+ from your contacts\?$/ });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Remove" }).click();
    await expect.poll(() => card(page).locator(".badge").first().textContent(), { timeout: 10_000 }).toBe("not a contact");
    // A fresh login: only the registry knows it now.
    await page.close();
    const again = await login();
    await card(again).waitFor({ timeout: 15_000 });
    await expect(card(again).locator(".badge").first().textContent()).resolves.toBe("not a contact");
    await card(again).getByRole("button", { name: "Add to contacts" }).click();
    await expect
      .poll(() => card(again).locator('section.node[data-node="room"] tr[data-field="temperature"] .value').textContent(), { timeout: 30_000 })
      .toMatch(/^-?\d+(\.\d+)? °C$/);
    await again.close();
  });

  it("disowning asks first (Escape cancels, keyboard confirms), then the registry frees the Thing and the card goes", async () => {
    const page = await login();
    await card(page).waitFor({ timeout: 15_000 });
    const disown = card(page).getByRole("button", { name: /^Disown / });
    await disown.click();
    const dialog = page.getByRole("dialog", { name: /^Disown .+\?$/ });
    await dialog.waitFor();
    await expect(dialog.getByRole("checkbox", { name: "Also remove it from my contacts" }).isChecked()).resolves.toBe(true);
    // Focus starts on the safe choice.
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe("Cancel");
    await page.screenshot({ path: path.join(DOCS, "console-disown.png") });
    await page.keyboard.press("Escape");
    await expect.poll(() => page.getByRole("dialog").count()).toBe(0);
    await expect(card(page).count()).resolves.toBe(1);
    expect((await thingState()).status).toBe("CLAIMED");

    await disown.focus();
    await page.keyboard.press("Enter");
    await dialog.waitFor();
    await page.keyboard.press("Tab"); // Cancel → Disown
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe("Disown");
    await page.keyboard.press("Enter");
    await expect.poll(() => card(page).count(), { timeout: 20_000 }).toBe(0);
    await expect.poll(async () => (await thingState()).status, { timeout: 20_000 }).not.toBe("CLAIMED");
    await registry.waitForLog((l) => l.msg === "Thing disowned" && l.thing === THING && l.owner === "owner@localhost", 10_000);
    await page.close();
    // Gone from the roster too: a fresh login lists nothing.
    const fresh = await login();
    await expect(fresh.locator("article.card").count()).resolves.toBe(0);
    await fresh.close();
  });
});
