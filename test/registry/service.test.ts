// RegistryService on a real store and journal (temp folder): racing claims, owner-only
// disown/remove, a Thing updating only itself, disown needing the Thing's acknowledgement.
// The network side is a recorder of pushes that answers like a Thing would.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { pino } from "pino";
import { loadRegistryConfig } from "../../registry/config.js";
import { RegistryError } from "../../registry/protocol/errors.js";
import { parseTags } from "../../registry/protocol/tags.js";
import { RegistryService } from "../../registry/service.js";
import { handleCommand } from "../../registry/adhoc.js";
import { parseOwnedList } from "../../console/src/registry.js";
import { Journal, readState } from "../../registry/store/journal.js";
import { fromStored, recordKey, toStored } from "../../registry/store/record.js";
import { ThingStore } from "../../registry/store/things.js";

const NS = "urn:xmpp:iot:discovery";
const log = pino({ level: "silent" });
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function setup(thingAnswers: "result" | "error" = "result") {
  const dir = await mkdtemp(path.join(tmpdir(), "thingd-registry-svc-"));
  dirs.push(dir);
  let last: Promise<void> = Promise.resolve();
  const journal: Journal = new Journal(
    dir,
    log,
    () => [...store.all()].map(toStored),
    () => store.size,
  );
  const store = new ThingStore((c) => {
    last = journal.append("put" in c ? { put: toStored(c.put) } : c);
  });
  await journal.open((t) => recordKey(t.jid, t));
  const pushes: Array<{ to: string; payload: Element }> = [];
  const service = new RegistryService({
    store,
    durable: () => last,
    log,
    push: (to, payload, onReply) => {
      pushes.push({ to, payload });
      const reply = xml("iq", { type: thingAnswers, from: to });
      onReply?.(reply);
      return Promise.resolve(reply);
    },
  });
  return { dir, store, service, pushes, journal };
}

const reg = (key: string) => xml("register", { xmlns: NS }, xml("str", { name: "SN", value: "1" }), xml("str", { name: "KEY", value: key }));
const mineTags = (key: string) => parseTags(xml("mine", {}, xml("str", { name: "SN", value: "1" }), xml("str", { name: "KEY", value: key })));
const rejects = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return (err as RegistryError).condition;
  }
  return undefined;
};

describe("RegistryService", () => {
  it("two owners racing for one Thing: exactly one wins, the other gets item-not-found", async () => {
    const { service, pushes } = await setup();
    await service.register("thing@x/r", reg("k1"), NS);
    const results = await Promise.allSettled(["a@x/p", "b@x/p", "c@x/p", "d@x/p"].map((who) => service.mine(who, mineTags("k1"), true)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected").map((r) => ((r as PromiseRejectedResult).reason as RegistryError).condition)).toStrictEqual([
      "item-not-found",
      "item-not-found",
      "item-not-found",
    ]);
    await new Promise((r) => setImmediate(r));
    expect(pushes.filter((p) => p.payload.name === "claimed")).toHaveLength(1);
  });

  it("only the owner may disown or remove; the Thing's <register> after a claim gets <claimed>", async () => {
    const { service } = await setup();
    await service.register("thing@x/r", reg("k1"), NS);
    await service.mine("a@x/p", mineTags("k1"), false);
    expect(await rejects(service.disown("b@x/p", "thing@x", {}))).toBe("item-not-found");
    expect(await rejects(service.remove("b@x/p", "thing@x", {}))).toBe("item-not-found");
    const again = await service.register("thing@x/other", reg("k1"), NS);
    expect("claimed" in again && again.claimed.owner).toBe("a@x");
  });

  it("a Thing updates only itself; an unclaimed Thing's update says disowned; a removed one item-not-found", async () => {
    const { service } = await setup();
    await service.register("thing@x/r", reg("k1"), NS);
    expect(await service.update("thing@x/r", xml("update", {}, xml("str", { name: "ROOM", value: "1" })))).toBe("disowned");
    await service.mine("a@x/p", mineTags("k1"), true);
    expect(await service.update("thing@x/r", xml("update", {}, xml("str", { name: "KEY", value: "" })))).toBe("ok");
    expect(await rejects(service.update("mallory@x/r", xml("update", { jid: "thing@x" }, xml("str", { name: "SN", value: "2" }))))).toBe("item-not-found");
    expect(await service.update("a@x/p", xml("update", { jid: "thing@x" }, xml("str", { name: "ROOM", value: "kitchen" })))).toBe("ok");
    await service.remove("a@x/p", "thing@x", {});
    expect(await rejects(service.update("thing@x/r", xml("update", {}, xml("str", { name: "ROOM", value: "2" }))))).toBe("item-not-found");
  });

  it("disown needs the Thing's acknowledgement (not-allowed otherwise); then it is claimable again after it registers", async () => {
    const refused = await setup("error");
    await refused.service.register("thing@x/r", reg("k1"), NS);
    await refused.service.mine("a@x/p", mineTags("k1"), true);
    expect(await rejects(refused.service.disown("a@x/p", "thing@x", {}))).toBe("not-allowed");
    const ok = await setup();
    await ok.service.register("thing@x/r", reg("k1"), NS);
    await ok.service.mine("a@x/p", mineTags("k1"), true);
    await ok.service.disown("a@x/p", "thing@x", {});
    expect(await rejects(ok.service.mine("b@x/p", mineTags("k1"), true))).toBe("item-not-found"); // KEY replaced until it registers
    await ok.service.register("thing@x/r", reg("k1"), NS);
    expect((await ok.service.mine("b@x/p", mineTags("k1"), true)).owner).toBe("b@x");
    // And it is all on disk.
    await ok.journal.drain();
    const state = await readState(ok.dir, (t) => recordKey(t.jid, t));
    expect(fromStored(state.things.get(recordKey("thing@x", {}))!).owner).toBe("b@x");
  });
});

describe("My things (ad-hoc command)", () => {
  it("answers with a note and a result form the web console reads: one row per owned Thing", async () => {
    const { service } = await setup();
    await service.register("thing@x/r", reg("k1"), NS);
    await service.register("other@x/r", reg("k2"), NS);
    await service.mine("a@x/p", mineTags("k1"), true);
    const cmd = await handleCommand("a@x/p", xml("command", { xmlns: "http://jabber.org/protocol/commands", node: "list", action: "execute" }), service, "registry.x", log);
    expect(cmd.attrs.status).toBe("completed");
    expect(cmd.getChildText("note")).toMatch(/^Your Things \(1\):\n- thing@x \(SN 1\) \[public\]/);
    const form = cmd.getChild("x", "jabber:x:data")!;
    expect(form.attrs.type).toBe("result");
    expect(form.getChild("reported")!.getChildren("field").map((f) => f.attrs.var)).toStrictEqual(["jid", "node", "summary", "visibility"]);
    // The console's parser, on the registry's own answer.
    expect(parseOwnedList(xml("iq", { type: "result" }, cmd))).toStrictEqual([{ jid: "thing@x", label: "thing@x (SN 1)" }]);
    // Someone who owns nothing: an empty table, and the console lists nothing.
    const none = await handleCommand("b@x/p", xml("command", { xmlns: "http://jabber.org/protocol/commands", node: "list" }), service, "registry.x", log);
    expect(parseOwnedList(xml("iq", { type: "result" }, none))).toStrictEqual([]);
  });
});

describe("registry configuration", () => {
  it("reports every problem with file:line:col and key path", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "thingd-registry-cfg-"));
    dirs.push(dir);
    const file = path.join(dir, "r.yaml");
    await writeFile(file, "component:\n  service: http://x\n  jid: Things.Example.org\n  colour: red\nstate_dir: ./s\n");
    let message = "";
    try {
      loadRegistryConfig(file, {});
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`${file}:2:12 component.service: expected "xmpp://HOST:PORT"`);
    expect(message).toContain(`${file}:3:8 component.jid:`);
    expect(message).toContain(`${file}:4:3 component.colour: unknown key "colour"`);
  });

  it("takes the secret from secret_file or THINGD_REGISTRY_SECRET", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "thingd-registry-cfg-"));
    dirs.push(dir);
    await writeFile(path.join(dir, "secret"), "s3cret\n");
    const file = path.join(dir, "r.yaml");
    await writeFile(file, "component:\n  service: xmpp://127.0.0.1:5347\n  jid: things.example.org\n  secret_file: secret\nstate_dir: ./s\n");
    expect(loadRegistryConfig(file, {}).secret).toBe("s3cret");
    expect(loadRegistryConfig(file, { THINGD_REGISTRY_SECRET: "env" }).secret).toBe("env");
    await writeFile(file, "component:\n  service: xmpp://127.0.0.1:5347\n  jid: things.example.org\nstate_dir: ./s\n");
    expect(() => loadRegistryConfig(file, {})).toThrow(/component: no secret/);
  });
});
