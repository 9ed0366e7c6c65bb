// Accounts that provision themselves (xmpp.register: true) against a real Prosody: open
// registration, invitation-only registration (XEP-0401 token from prosodyctl), and refusals.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ReaderClient } from "../../scripts/lib/reader-client.js";
import { startProsody, type ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { runThingd, type AgentProcess } from "../helpers/agent-process.js";
import { ROOM_SENSOR } from "../helpers/sensor-maps.js";

let server: ProsodyServer | undefined;
let agent: AgentProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await server?.stop();
  server = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function mapFor(s: ProsodyServer, extra = ""): Promise<string> {
  dir = await mkdtemp(path.join(tmpdir(), "thingd-ibr-"));
  const file = path.join(dir, "sensors.yaml");
  await writeFile(
    file,
    `xmpp:
  service: ${s.service}
  jid: "thing-{hostname}@localhost"
  resource: "board-{serial}"
  register: true
${extra}  tls: { ca: ${s.caFile} }
state_dir: ./state
sensors:
${ROOM_SENSOR}`,
  );
  return file;
}

const loggedIn = (a: AgentProcess) => a.waitForLog((l) => l.msg === "online", 30_000);

describe("self-provisioned accounts (XEP-0077)", () => {
  it("open registration: makes up a password, stores it 0600 before use, registers, logs in; a restart reuses it", async () => {
    server = await startProsody({ registration: "open" });
    const file = await mapFor(server);
    agent = runThingd(["run", "-c", file]);
    await agent.waitForLog((l) => l.msg === "account created by in-band registration");
    await loggedIn(agent);
    const credsFile = path.join(dir!, "state", "credentials.json");
    const creds = JSON.parse(await readFile(credsFile, "utf8")) as { jid: string; password: string; registered: boolean };
    expect((await stat(credsFile)).mode & 0o777).toBe(0o600);
    expect(creds.registered).toBe(true);
    expect(creds.jid).toMatch(/^thing-[a-z0-9._-]+@localhost$/);
    expect(creds.password.length).toBeGreaterThanOrEqual(40);
    // The password never reaches a log line.
    expect(agent.lines.some((l) => JSON.stringify(l).includes(creds.password))).toBe(false);
    // Another client can log in with the stored credentials: the account is real.
    const local = creds.jid.slice(0, creds.jid.indexOf("@"));
    const probe = await ReaderClient.connect({
      service: server.service,
      domain: "localhost",
      jid: `${local}@localhost`,
      password: creds.password,
      ca: await readFile(server.caFile, "utf8"),
      resource: "probe",
    });
    await probe.stop();
    expect(await agent.stop()).toBe(0);

    agent = runThingd(["run", "-c", file]);
    await loggedIn(agent);
    expect(agent.lines.some((l) => l.msg === "account created by in-band registration")).toBe(false);
    const again = JSON.parse(await readFile(credsFile, "utf8")) as { password: string };
    expect(again.password).toBe(creds.password);
  });

  it("registration closed on the server: one clear error and exit 78, no loop", async () => {
    server = await startProsody({ registration: "closed" });
    const file = await mapFor(server);
    agent = runThingd(["run", "-c", file]);
    expect(await agent.exited).toBe(78);
    const errors = agent.lines.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/server refused to create thing-.*@localhost \(service-unavailable|allow registration on the server/);
  });

  it("invitation-only server: registers with the invite token; a wrong token is a clear exit 78", async () => {
    server = await startProsody({ registration: "invite" });
    const bad = await mapFor(server, "  invite: not-a-real-token\n");
    agent = runThingd(["run", "-c", bad]);
    expect(await agent.exited).toBe(78);
    expect(agent.lines.find((l) => l.level >= 50)?.msg).toMatch(/invite token was refused \(forbidden/);
    await rm(dir!, { recursive: true, force: true });

    // Without a token the invite-only server refuses as well.
    const none = await mapFor(server);
    agent = runThingd(["run", "-c", none]);
    expect(await agent.exited).toBe(78);
    await rm(dir!, { recursive: true, force: true });

    const token = await server.createInvite();
    const good = await mapFor(server, `  invite: ${token}\n`);
    agent = runThingd(["run", "-c", good]);
    await agent.waitForLog((l) => l.msg === "account created by in-band registration");
    await loggedIn(agent);
  });

  it("a stored password wins: the account exists already and is not registered again", async () => {
    server = await startProsody({ registration: "open" });
    const file = await mapFor(server);
    agent = runThingd(["run", "-c", file]);
    await loggedIn(agent);
    await agent.stop();
    // Registration now closed: a Thing that tried to register again would fail with 78.
    await server.stop();
    server = undefined;
    const creds = JSON.parse(await readFile(path.join(dir!, "state", "credentials.json"), "utf8")) as { jid: string; password: string };
    server = await startProsody({ registration: "closed", users: [{ user: creds.jid.slice(0, creds.jid.indexOf("@")), password: creds.password }] });
    const map = (await readFile(file, "utf8")).replace(/service: .*/, `service: ${server.service}`).replace(/ca: [^ }]+/, `ca: ${server.caFile}`);
    await writeFile(file, map);
    agent = runThingd(["run", "-c", file]);
    await loggedIn(agent);
  });
});
