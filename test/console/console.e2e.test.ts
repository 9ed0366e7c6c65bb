// The web console end to end, in a real browser: Debian's chromium (playwright-core) loads the
// built console (dist/console, served by `thingd console`'s server) and logs in over Prosody's
// mod_websocket; the real thingd serves a simulated sensor (with history), a failing one and a
// gpio-output relay (GPIO through test/helpers/gpio-namespace.ts).
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startConsoleServer, CONSOLE_CSP, type ConsoleServer } from "../../agent/commands/console.js";
import type { ProsodyServer } from "../../scripts/lib/local-prosody.js";
import type { TestRegistry } from "../../scripts/lib/test-registry.js";
import { localXmppSection } from "../../scripts/lib/sensor-map-yaml.js";
import type { AgentProcess } from "../helpers/agent-process.js";
import { ClientPool } from "../helpers/clients.js";
import { expectNamespaceSupport, fakeGpioTree, type FakeGpioTree } from "../helpers/gpio-namespace.js";
import { startThingStack, tearDown } from "../helpers/thing-stack.js";
import { launchChromium, type Browser } from "./browser.js";

const THING = "thing@localhost/gateway";
const DIST_CONSOLE = fileURLToPath(new URL("../../dist/console/", import.meta.url));
/** Screenshots for the README: written to docs/ with CONSOLE_SCREENSHOTS=1, else to the temp dir. */
const DOCS = process.env.CONSOLE_SCREENSHOTS === "1" ? fileURLToPath(new URL("../../docs/", import.meta.url)) : tmpdir();
const RELAY = "gpio529"; // BCM 17 on a gpiochip at base 512

let server: ProsodyServer;
let registry: TestRegistry;
let agent: AgentProcess;
let dir: string;
let gpio: FakeGpioTree;
let web: ConsoleServer;
let browser: Browser;
const clients = new ClientPool(() => server, { reuse: true });

function sensorMap(server: ProsodyServer): string {
  return `${localXmppSection(server, { resource: "gateway", passwordFile: "./secret", keepalive: "5s" })}registry:
  jid: registry.localhost
access:
  owner: owner@localhost
  readers: [reader@localhost]
state_dir: ./state
history:
  flush: 1s
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", min: 15, max: 25, decimals: 2 }, { name: humidity, unit: "%", min: 30, max: 60, decimals: 1 }] }
  - { id: cellar, driver: simulated, every: 2s, fail: true, fields: [{ name: temperature, unit: "°C" }] }
  - { id: relay1, driver: gpio-output, every: 1h, pin: 17, field: relay }
`;
}

async function login(user: string, password = `${user}-pw`): Promise<Page> {
  const page = await browser.context.newPage();
  page.on("console", (m) => console.log(`[browser] ${m.text()}`));
  await page.goto(`${web.url}?poll=1000`);
  await page.getByLabel("JID").fill(`${user}@localhost`);
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("WebSocket URL (optional)").fill(server.websocketUrl ?? "");
  await page.getByRole("button", { name: "Log in" }).click();
  return page;
}

/** Log in and add the Thing by its JID (the Thing approves owner and readers). */
async function loginWithThing(user: string): Promise<Page> {
  const page = await login(user);
  await page.getByRole("heading", { name: "My things" }).waitFor();
  if ((await page.locator("article.card").count()) === 0) {
    await page.getByLabel("Add a thing by JID").fill("thing@localhost");
    await page.getByRole("button", { name: "Add", exact: true }).click();
  }
  try {
    await page.locator('article.card[data-jid="thing@localhost"] tr[data-field="temperature"]').first().waitFor({ timeout: 20_000 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\npage shows:\n${await page.locator("body").innerText()}`);
  }
  return page;
}

const cell = (page: Page, node: string, field: string) => page.locator(`article.card section.node[data-node="${node}"] tr[data-field="${field}"] .value`);

beforeAll(async () => {
  expectNamespaceSupport();
  ({ server, registry, agent, dir } = await startThingStack({
    users: ["thing", "owner", "reader"],
    tmpPrefix: "thingd-console-",
    sensorMap,
    prosody: { websocket: true },
    prepare: async (d) => {
      gpio = await fakeGpioTree(d, [RELAY]);
      return gpio.wrap;
    },
  }));
  web = await startConsoleServer(DIST_CONSOLE, "127.0.0.1", 0);
  browser = await launchChromium();
  await mkdir(DOCS, { recursive: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await tearDown({ clients, agent, components: [registry], server, dir });
});

describe("thingd console in chromium", () => {
  it("serves the files with a strict CSP and exact MIME types", async () => {
    const index = await fetch(web.url);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(index.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect((await fetch(`${web.url}console.js`)).headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect((await fetch(`${web.url}console.css`)).headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect((await fetch(`${web.url}../package.json`)).status).toBe(404);
    expect((await fetch(`${web.url}%2e%2e/%2e%2e/package.json`)).status).toBe(404);
  });

  it("a wrong password shows a clear message", async () => {
    const page = await login("owner", "not-the-password");
    await expect.poll(() => page.locator("#login-message").textContent(), { timeout: 15_000 }).toMatch(/wrong JID or password/i);
    await page.screenshot({ path: path.join(DOCS, "console-login-error.png") });
    await page.close();
  });

  it("refuses ws:// to anything but loopback", async () => {
    const page = await browser.context.newPage();
    await page.goto(web.url);
    await page.getByLabel("JID").fill("owner@example.org");
    await page.getByLabel("Password").fill("x");
    await page.getByLabel("WebSocket URL (optional)").fill("ws://example.org/xmpp-websocket");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect.poll(() => page.locator("#login-message").textContent()).toMatch(/only allowed to localhost; use wss:\/\//);
    await page.close();
  });

  it("the owner logs in: every node and field with units, the failing node's error, live values that change", async () => {
    const page = await loginWithThing("owner");
    await expect.poll(() => cell(page, "room", "temperature").textContent(), { timeout: 10_000 }).toMatch(/^-?\d+(\.\d+)? °C$/);
    await expect(cell(page, "room", "humidity").textContent()).resolves.toMatch(/ %$/);
    await expect
      .poll(() => page.locator('section.node[data-node="cellar"] .node-failure').textContent(), { timeout: 10_000 })
      .toContain("simulated failure");
    const seen = new Set<string>();
    await expect
      .poll(async () => seen.add((await cell(page, "room", "temperature").textContent()) ?? "").size, { timeout: 20_000, interval: 500 })
      .toBeGreaterThanOrEqual(3);
    // main's Thing advertises urn:ieee:iot:events:1.0: values arrive as subscription pushes.
    await expect(page.locator("article.card .badge").textContent()).resolves.toBe("online · live (events)");
    await page.screenshot({ path: path.join(DOCS, "console-things.png"), fullPage: true });
    await page.close();
  });

  it("a history chart is drawn from historical readouts, with a CSV of what is shown", async () => {
    const page = await loginWithThing("owner");
    await page.locator('section.node[data-node="room"] tr[data-field="temperature"]').getByRole("button", { name: "History of temperature" }).click();
    await expect.poll(() => page.locator("section.history .message").textContent(), { timeout: 15_000 }).toMatch(/^\d+ points/);
    const points = Number(/^(\d+)/.exec((await page.locator("section.history .message").textContent()) ?? "")?.[1]);
    expect(points).toBeGreaterThan(3);
    // Drawn pixels: the series colour (#1565c0) appears on uPlot's canvas.
    const drawn = await page.locator("section.history canvas").evaluate((c: HTMLCanvasElement) => {
      const ctx = c.getContext("2d");
      if (!ctx) return 0;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - 0x15) < 40 && Math.abs(d[i + 1]! - 0x65) < 40 && Math.abs(d[i + 2]! - 0xc0) < 40 && d[i + 3]! > 100) n++;
      return n;
    });
    expect(drawn).toBeGreaterThan(100);
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
    const csv = await (await download.createReadStream()).toArray();
    const lines = Buffer.concat(csv as Buffer[]).toString("utf8").trim().split("\n");
    expect(lines[0]).toBe("time,temperature (°C)");
    expect(lines.length - 1).toBe(points);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z,-?\d+(\.\d+)?$/);
    await page.locator("section.history").screenshot({ path: path.join(DOCS, "console-history.png") });
    await page.close();
  });

  it("the owner's switch changes the Thing's state, read back over XMPP", async () => {
    const page = await loginWithThing("owner");
    const sw = page.getByRole("switch", { name: "relay1 relay" });
    await sw.waitFor();
    await expect(sw.isChecked()).resolves.toBe(false);
    await expect.poll(() => sw.isEnabled(), { timeout: 10_000 }).toBe(true);
    // Keyboard: the focused switch survives the values pushed meanwhile (cards update in place).
    await sw.focus();
    const before = await cell(page, "room", "temperature").textContent();
    await expect.poll(() => cell(page, "room", "temperature").textContent(), { timeout: 10_000 }).not.toBe(before);
    await expect(page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).resolves.toBe("relay1 relay");
    await page.keyboard.press("Space");
    await expect.poll(() => gpio.read(RELAY), { timeout: 10_000 }).toBe("1");
    const reader = await clients.client("owner");
    const res = await reader.read(THING, { momentary: "true" }, []);
    expect(res.fields.find((f) => f.node === "relay1" && f.name === "relay")?.value).toBe("true");
    await expect.poll(() => page.getByRole("switch", { name: "relay1 relay" }).isChecked(), { timeout: 10_000 }).toBe(true);
    await page.close();
  });

  it("a reader sees the values but no usable switch, and why", async () => {
    const page = await loginWithThing("reader");
    await expect.poll(() => page.locator("article.card .note").textContent(), { timeout: 10_000 }).toMatch(/^Read-only: forbidden/);
    const switches = page.getByRole("switch");
    await expect(switches.count()).resolves.toBeGreaterThan(0);
    for (const s of await switches.all()) await expect(s.isEnabled()).resolves.toBe(false);
    await expect(gpio.read(RELAY)).resolves.toBe("1");
    await page.screenshot({ path: path.join(DOCS, "console-reader.png"), fullPage: true });
    await page.close();
  });
});
