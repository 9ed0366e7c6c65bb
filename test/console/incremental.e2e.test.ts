// The console updates in place, in chromium: two real thingd processes on one Prosody
// (mod_websocket); "fast" pushes new values every second, "slow" read once an hour. While
// fast's values change, slow's card keeps the very same DOM nodes (nothing re-created, no
// element added or removed), and fast's value cells are the same elements with new text.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConsoleServer, type ConsoleServer } from "../../agent/commands/console.js";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { launchChromium, type Browser } from "./browser.js";

const DIST_CONSOLE = fileURLToPath(new URL("../../dist/console/", import.meta.url));
const THINGS = { fast: "1s", slow: "1h" } as const;

let server: ProsodyServer;
let dir: string;
const agents: AgentProcess[] = [];
let web: ConsoleServer;
let browser: Browser;

function sensorMap(name: string, every: string): string {
  return `xmpp:
  service: ${server.service}
  jid: ${name}@localhost
  password: ${name}-pw
  resource: gateway
  tls: { ca: ${server.caFile} }
access:
  owner: owner@localhost
history: { enabled: false }
state_dir: ./state
sensors:
  - { id: room, driver: simulated, every: ${every}, fields: [{ name: temperature, unit: "°C", min: 15, max: 25, decimals: 2 }, { name: humidity, unit: "%", min: 30, max: 60, decimals: 1 }] }
`;
}

beforeAll(async () => {
  server = await startProsody({ websocket: true, users: ["fast", "slow", "owner"].map((u) => ({ user: u, password: `${u}-pw` })) });
  dir = await mkdtemp(path.join(tmpdir(), "thingd-console-incremental-"));
  for (const [name, every] of Object.entries(THINGS)) {
    const d = path.join(dir, name);
    await mkdir(d);
    await writeFile(path.join(d, "sensors.yaml"), sensorMap(name, every));
    const agent = runThingd(["run", "-c", path.join(d, "sensors.yaml"), "--log-level", "debug"]);
    agents.push(agent);
    await agent.waitForLog((l) => l.msg === "online", 30_000);
  }
  web = await startConsoleServer(DIST_CONSOLE, "127.0.0.1", 0);
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  for (const a of agents) await a.stop("SIGKILL");
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("console cards update in place", () => {
  it("another Thing's pushes leave a card's DOM nodes as they are; a value cell changes its text in place", async () => {
    const page = await browser.context.newPage();
    page.on("console", (m) => console.log(`[browser] ${m.text()}`));
    // Status re-read every 10 min: nothing but pushed values changes during the test.
    await page.goto(`${web.url}?poll=1000&status=600000`);
    await page.getByLabel("JID").fill("owner@localhost");
    await page.getByLabel("Password").fill("owner-pw");
    await page.getByLabel("WebSocket URL (optional)").fill(server.websocketUrl ?? "");
    await page.getByLabel("Thing Registry (optional)").fill("");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "My things" }).waitFor();
    for (const name of Object.keys(THINGS)) {
      await page.getByLabel("Add a thing by JID").fill(`${name}@localhost`);
      await page.getByRole("button", { name: "Add", exact: true }).click();
      await expect.poll(() => page.getByRole("form", { name: "Add a thing" }).getByRole("status").textContent()).toBe(`asked ${name}@localhost for presence`);
    }
    const card = (name: string) => page.locator(`article.card[data-jid="${name}@localhost"]`);
    for (const name of Object.keys(THINGS)) {
      await expect.poll(() => card(name).locator(".badge").first().textContent(), { timeout: 30_000 }).toBe("online · live (events)");
      await expect.poll(() => card(name).locator('tr[data-field="temperature"] .value').textContent()).toMatch(/^-?\d+(\.\d+)? °C$/);
    }

    // Remember every element of both cards, and watch the slow card for elements added or removed.
    const before = await page.evaluate(() => {
      const w = window as unknown as { __kept: { fast: Element[]; slow: Element[] }; __value: Element; __slowChildList: number };
      const cardOf = (jid: string) => document.querySelector(`article.card[data-jid="${jid}"]`)!;
      w.__kept = { fast: [...cardOf("fast@localhost").querySelectorAll("*")], slow: [...cardOf("slow@localhost").querySelectorAll("*")] };
      w.__value = cardOf("fast@localhost").querySelector('tr[data-field="temperature"] .value')!;
      w.__slowChildList = 0;
      new MutationObserver((records) => (w.__slowChildList += records.filter((r) => r.type === "childList").length)).observe(cardOf("slow@localhost"), {
        subtree: true,
        childList: true,
      });
      return { text: w.__value.textContent, fast: w.__kept.fast.length, slow: w.__kept.slow.length };
    });
    expect(before.slow).toBeGreaterThan(20);

    // Fast's temperature changes (more than once): the cell is the same element, with new text.
    const seen = new Set([before.text]);
    await expect
      .poll(async () => seen.add(await page.evaluate(() => (window as unknown as { __value: Element }).__value.textContent)).size, {
        timeout: 20_000,
        interval: 300,
      })
      .toBeGreaterThanOrEqual(3);
    const after = await page.evaluate(() => {
      const w = window as unknown as { __kept: { fast: Element[]; slow: Element[] }; __value: Element; __slowChildList: number };
      const same = (jid: string, kept: Element[]) => {
        const now = [...document.querySelector(`article.card[data-jid="${jid}"]`)!.querySelectorAll("*")];
        return {
          count: now.length,
          identical: now.length === kept.length && now.every((el, i) => el === kept[i]),
          connected: kept.every((el) => el.isConnected),
        };
      };
      return {
        fast: same("fast@localhost", w.__kept.fast),
        slow: same("slow@localhost", w.__kept.slow),
        valueInPlace: document.querySelector('article.card[data-jid="fast@localhost"] tr[data-field="temperature"] .value') === w.__value,
        slowChildList: w.__slowChildList,
      };
    });
    expect(after.valueInPlace).toBe(true);
    expect(after.slow).toEqual({ count: before.slow, identical: true, connected: true });
    expect(after.slowChildList).toBe(0);
    // The fast card itself: new texts, but not one element made or dropped.
    expect(after.fast).toEqual({ count: before.fast, identical: true, connected: true });
    await page.close();
  });
});
