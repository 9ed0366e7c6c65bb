import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { StateStore } from "../../../agent/ownership/state.js";

const log = pino({ level: "silent" });

describe("StateStore", () => {
  it("creates a 32-hex KEY once and keeps it across loads", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "thingd-state-"));
    const a = await new StateStore(dir, log).load();
    expect(a.key).toMatch(/^[0-9a-f]{32}$/);
    const b = await new StateStore(dir, log).load();
    expect(b.key).toBe(a.key);
  });

  it("persists updates and recovers the previous copy when the file is corrupt", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "thingd-state-"));
    const s = new StateStore(dir, log);
    const { key } = await s.load();
    await s.update({ status: "REGISTERED", registry: "registry.localhost" });
    await s.update({ status: "CLAIMED", owner: "owner@localhost" });
    expect(JSON.parse(await readFile(s.file, "utf8")).owner).toBe("owner@localhost");
    await writeFile(s.file, "{ torn wri");
    const recovered = await new StateStore(dir, log).load();
    expect(recovered.key).toBe(key);
    expect(recovered.status).toBe("REGISTERED");
  });
});
