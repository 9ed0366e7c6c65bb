// `thingd claim --svg`: the printed label scans back to the claim URI with a real decoder
// (zbarimg, as a phone camera would), and carries the JID and SN as text.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { claimCommand } from "../../../agent/commands/claim.js";
import { buildLabelSvg, qrModules } from "../../../agent/ownership/claim-label.js";
import { STATE_FILE } from "../../../agent/ownership/state.js";

const NEEDS = "rsvg-convert and zbarimg are needed: apt-get install -y librsvg2-bin zbar-tools";
function tool(name: string): void {
  if (spawnSync("sh", ["-c", `command -v ${name}`]).status !== 0) throw new Error(NEEDS);
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Rasterise the SVG and decode every QR code in it. */
function scan(svgFile: string): string {
  tool("rsvg-convert");
  tool("zbarimg");
  const png = svgFile.replace(/\.svg$/, ".png");
  execFileSync("rsvg-convert", ["-z", "3", "-o", png, svgFile]);
  return execFileSync("zbarimg", ["--raw", "-q", png], { encoding: "utf8" }).trim();
}

describe("claim label", () => {
  it("a matrix of the right QR size with finder patterns in three corners", () => {
    const m = qrModules("iotdisco:SN=1;KEY=2;R=r.example.org");
    expect(m.length).toBeGreaterThanOrEqual(21);
    expect((m.length - 17) % 4).toBe(0);
    const n = m.length;
    for (const [r, c] of [[0, 0], [0, n - 7], [n - 7, 0]] as const) {
      expect(m[r]!.slice(c, c + 7).every(Boolean)).toBe(true); // top edge of a finder pattern
    }
  });

  it("thingd claim --svg writes a private label that scans back to the URI, with JID and SN under it", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "thingd-label-"));
    dirs.push(dir);
    const file = path.join(dir, "sensors.yaml");
    await writeFile(
      file,
      `xmpp: { service: "xmpp://127.0.0.1:5222", jid: thing@localhost, password: x }
registry: { jid: registry.example.org, meta: { MAN: example.com, MODEL: PiGateway } }
state_dir: ./state
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: t, unit: "°C" }] }
`,
    );
    await mkdir(path.join(dir, "state"));
    const key = "0123456789abcdef0123456789abcdef";
    await writeFile(path.join(dir, "state", STATE_FILE), JSON.stringify({ version: 1, key, status: "REGISTERED" }));
    const cpuinfo = path.join(dir, "cpuinfo");
    await writeFile(cpuinfo, "Serial\t\t: 00000000a1b2c3d4\n");
    const svg = path.join(dir, "label.svg");
    const out: string[] = [];
    const err: string[] = [];
    const code = await claimCommand(
      { config: file, svg, boardPaths: { cpuinfo, dtSerial: path.join(dir, "none"), machineId: path.join(dir, "none") } },
      { out: (l) => out.push(l), err: (l) => err.push(l) },
    );
    expect(code).toBe(0);
    const uri = `iotdisco:SN=00000000a1b2c3d4;MAN=example.com;MODEL=PiGateway;KEY=${key};R=registry.example.org`;
    expect(out).toContain(uri);
    expect(err.join("\n")).toContain(`claim label written to ${svg}`);
    expect((await stat(svg)).mode & 0o777).toBe(0o600);
    const text = await readFile(svg, "utf8");
    expect(text).toContain(">thing@localhost</text>");
    expect(text).toContain(">SN 00000000a1b2c3d4</text>");
    expect(scan(svg)).toBe(uri);
  });

  it("captions are XML-escaped", () => {
    const svg = buildLabelSvg({ modules: qrModules("x"), caption: ['a<b>&"c"'] });
    expect(svg).toContain(">a&lt;b&gt;&amp;&quot;c&quot;</text>");
  });
});
