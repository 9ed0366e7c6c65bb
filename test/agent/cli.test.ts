// The real CLI binary: exit codes and output of check/read.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MAIN } from "../helpers/agent-process.js";

function thingd(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", env: { ...process.env, THINGD_PASSWORD: "" } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function configFile(body: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "thingd-cli-"));
  dirs.push(dir);
  const file = path.join(dir, "sensors.yaml");
  await writeFile(file, body);
  return file;
}

const HEAD = `xmpp:
  service: xmpp://127.0.0.1:5222
  jid: thing@localhost
  password: pw
sensors:
`;

describe("thingd CLI", () => {
  it("check: exit 78 with every problem as file:line:col path: message", async () => {
    const file = await configFile(`${HEAD}  - id: room
    driver: simulated
    every: 5 seconds
    fields: [{ name: t, unit: C }]
`);
    const r = thingd("check", "-c", file);
    expect(r.code).toBe(78);
    expect(r.err).toContain(`${file}:8:12 sensors[0].every: expected a duration like "10s", got "5 seconds"`);
    expect(r.err).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:9:\\d+ sensors\\[0\\]\\.fields\\[0\\]\\.unit: expected a unit symbol`));
  });

  it("check: exit 0 on a valid map; a missing file is a config error", async () => {
    const file = await configFile(`${HEAD}  - { id: room, driver: simulated, every: 1s, fields: [{ name: t, unit: "°C" }] }\n`);
    expect(thingd("check", "-c", file)).toMatchObject({ code: 0 });
    expect(thingd("check", "-c", "/nonexistent/sensors.yaml").code).toBe(78);
  });

  it("read --json: one local readout per sensor, failures reported, exit 1 if any failed", async () => {
    const file = await configFile(`${HEAD}  - { id: room, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", value: 21.456, decimals: 2 }] }
  - { id: bad, driver: simulated, every: 1s, fail: true, fields: [{ name: x, unit: "" }] }
`);
    const r = thingd("read", "-c", file, "--json");
    expect(r.code).toBe(1);
    const out = JSON.parse(r.out) as Array<{ sensor: string; fields: Array<{ name: string; value: number; unit: string }>; error?: string }>;
    expect(out[0]!.fields.map((f) => [f.name, f.value, f.unit])).toStrictEqual([["temperature", 21.46, "°C"]]);
    expect(out[1]).toMatchObject({ sensor: "bad", error: "simulated failure" });
    const table = thingd("read", "-c", file);
    expect(table.out).toMatch(/room\s+temperature\s+21.46\s+°C/);
  });

  it("usage errors exit 64", () => {
    expect(thingd("frobnicate").code).toBe(64);
    expect(thingd().code).toBe(64);
    expect(thingd("--help").code).toBe(0);
  });
});
