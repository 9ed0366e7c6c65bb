// `npm run demo` (scripts/demo.ts, as built into dist/ by `npm run build`): the whole demo runs
// against the real Prosody, registry and thingd it starts, claims the Thing, and serves the web
// console: the printed console URL answers with the console's index.html and the printed
// WebSocket URL speaks XMPP (RFC 7395 framing). Ctrl-C stops everything with exit code 0.
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const DEMO = fileURLToPath(new URL("../../dist/scripts/demo.js", import.meta.url));
const INDEX = fileURLToPath(new URL("../../dist/console/index.html", import.meta.url));

let demo: ChildProcess;
let out = "";
let exited: Promise<number | null>;

/** Resolves with the match once the demo's output has it; rejects when the demo exits first. */
function waitForOutput(re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = re.exec(out);
      if (!m) return false;
      clearTimeout(timer);
      demo.stdout!.off("data", check);
      resolve(m);
      return true;
    };
    const timer = setTimeout(() => reject(new Error(`no ${re} in the demo's output within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    demo.stdout!.on("data", check);
    exited.then((code) => reject(new Error(`the demo exited (${code}) before printing ${re}:\n${out}`))).catch(() => undefined);
    check();
  });
}

beforeAll(() => {
  demo = spawn(process.execPath, [DEMO, "--every", "2"], { stdio: ["ignore", "pipe", "pipe"] });
  demo.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  demo.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  exited = new Promise((resolve) => demo.once("exit", resolve));
});

afterAll(async () => {
  if (demo.exitCode === null && demo.signalCode === null) demo.kill("SIGKILL");
  await exited;
});

/** Opens the XMPP WebSocket and returns the server's first frames up to its stream features. */
function openXmppWebSocket(url: string, timeoutMs: number): Promise<{ protocol: string; frames: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, "xmpp");
    let frames = "";
    const timer = setTimeout(() => (ws.close(), reject(new Error(`no stream features from ${url} within ${timeoutMs} ms; got: ${frames}`))), timeoutMs);
    ws.addEventListener("open", () => ws.send(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="localhost" version="1.0"/>`));
    ws.addEventListener("message", (ev: MessageEvent) => {
      frames += String(ev.data);
      if (frames.includes("features")) {
        clearTimeout(timer);
        const protocol = ws.protocol;
        ws.close();
        resolve({ protocol, frames });
      }
    });
    ws.addEventListener("error", () => (clearTimeout(timer), reject(new Error(`WebSocket ${url} failed; got: ${frames}`))));
  });
}

describe("npm run demo", () => {
  let consoleUrl = "";
  let websocketUrl = "";

  it("claims the Thing and prints the console's URL, the owner's JID and password and the WebSocket URL", async () => {
    const m = await waitForOutput(/Web console: (http:\/\/127\.0\.0\.1:\d+\/).*\n\s+JID:\s+(\S+)\n\s+Password:\s+(\S+)\n\s+WebSocket URL:\s+(\S+)/, 90_000);
    [, consoleUrl = "", , , websocketUrl = ""] = m;
    expect([m[2], m[3]]).toStrictEqual(["owner@localhost", "owner-pw"]);
    expect(websocketUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/xmpp-websocket$/);
    expect(out).toContain("You now own thing@localhost");
  }, 100_000);

  it("the console URL answers with the console's index.html", async () => {
    const res = await fetch(consoleUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await res.text()).toBe(await readFile(INDEX, "utf8"));
    expect((await fetch(`${consoleUrl}console.js`)).status).toBe(200);
  });

  it("the WebSocket URL is Prosody's mod_websocket: an XMPP stream opens with its features", async () => {
    const { protocol, frames } = await openXmppWebSocket(websocketUrl, 15_000);
    expect(protocol).toBe("xmpp");
    expect(frames).toMatch(/<open [^>]*xmlns=["']urn:ietf:params:xml:ns:xmpp-framing["']/);
    expect(frames).toMatch(/<stream:features|<features/);
    expect(frames).toContain("urn:ietf:params:xml:ns:xmpp-sasl");
  });

  it("keeps reading values, and Ctrl-C stops it cleanly", async () => {
    await waitForOutput(/Readout #1 at .*\n\s+room\s+temperature\s+-?\d+\.\d+ °C/, 30_000);
    demo.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(out).toContain("thingd exited with code 0");
  }, 40_000);
});
