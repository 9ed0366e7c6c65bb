// `thingd check` (the real bin) shows the identity this board resolves a shared map to.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { MAIN } from "../../helpers/agent-process.js";
import { jidSafe } from "../../../agent/config/placeholders.js";

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it("check prints xmpp.jid, xmpp.resource and meta with {hostname} resolved", async () => {
  dir = await mkdtemp(path.join(tmpdir(), "thingd-check-"));
  const file = path.join(dir, "sensors.yaml");
  await writeFile(
    file,
    `xmpp:
  service: xmpp://127.0.0.1:5222
  jid: "pi-{hostname}@example.org"
  resource: "gw-{hostname}"
  register: true
registry:
  meta: { MAN: example.com, LOC: "{hostname}" }
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: t, unit: "°C" }] }
`,
  );
  const r = spawnSync(process.execPath, [MAIN, "check", "-c", file], { encoding: "utf8", env: { ...process.env, THINGD_PASSWORD: "" } });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const h = jidSafe(hostname());
  expect(r.stdout).toContain(`  xmpp.jid: pi-${h}@example.org\n`);
  expect(r.stdout).toContain(`  xmpp.resource: gw-${h}\n`);
  expect(r.stdout).toContain(`  registry.meta.LOC: ${h}\n`);
  expect(r.stdout).toContain("xmpp.register: the account is created on first start");
});
