// The XEP-0323 service over real pollers and the simulated driver (no XMPP server needed),
// behind the real IQ router (so refusals are what goes on the wire), its follow-ups sent in order.
import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { AccessPolicy } from "../../../agent/access/policy.js";
import { Poller } from "../../../agent/sensors/poller.js";
import { SensorDataService } from "../../../agent/sensordata/service.js";
import { NS_IEEE_SENSORDATA, NS_SENSORDATA } from "../../../agent/protocol/ns.js";
import { IEEE_NAMESPACES, parseIeeeResp } from "../../../agent/protocol/ieee-sensordata.js";
import { TYPE_FLAGS, type ReadoutRequest } from "../../../agent/protocol/readout-request.js";
import { simulated, simulatedConfigSchema } from "../../../drivers/simulated.js";
import { IqRouter, type IqOutcome } from "../../../agent/transport/iq-router.js";
import { sendFollowUp } from "../../../agent/transport/follow-up.js";

const log = pino({ level: "silent" });

async function poller(id: string, extra: Record<string, unknown> = {}, periodMs = 60_000, timeoutMs = 300) {
  const cfg = simulatedConfigSchema.parse({ fields: [{ name: "temperature", unit: "°C", value: 21.5, decimals: 2 }], ...extra });
  const sensor = await simulated.open(cfg, { bus: undefined as never, log, id });
  return new Poller({ id, driver: "simulated", periodMs, timeoutMs }, sensor, log);
}

function setup(pollers: Poller[]) {
  const sent: Element[] = [];
  const svc = new SensorDataService({ pollers: () => pollers, access: new AccessPolicy(["reader@x"], () => "owner@x"), log });
  const router = new IqRouter(log, "x").on("get", NS_SENSORDATA, "req", svc.handleRequest).on("get,set", NS_SENSORDATA, "cancel", svc.handleCancel);
  for (const ns of IEEE_NAMESPACES) router.on("get,set", ns, "req", svc.handleRequest).on("get,set", ns, "cancel", svc.handleCancel);
  const call = async (from: string, child: Element, type = "get", id = "q1"): Promise<IqOutcome> => {
    const out = await router.dispatch(xml("iq", { type, from, to: "thing@x/gw", id }, child));
    if (!out) throw new Error("not an IQ request");
    return out;
  };
  /** Sends the follow-up as the wiring does (every batch goes out). */
  const follow = (out: IqOutcome) =>
    sendFollowUp(out.followUp!, (batch) => {
      sent.push(...batch);
      return Promise.resolve(true);
    });
  return { svc, sent, call, follow };
}

const req = (attrs: Record<string, string>, ...c: Element[]) => xml("req", { xmlns: NS_SENSORDATA, ...attrs }, ...c);

describe("SensorDataService", () => {
  it("answers a cached momentary readout with result + fields in one batch", async () => {
    const a = await poller("a");
    await a.poll();
    const { call } = setup([a]);
    const out = await call("reader@x/app", req({ seqnr: "1", momentary: "true" }));
    expect(out.followUp).toBeUndefined();
    expect(out.send.map((s) => s.name)).toStrictEqual(["iq", "message"]);
    expect(out.send[0]!.getChild("accepted", NS_SENSORDATA)?.attrs.seqnr).toBe("1");
    const numeric = out.send[1]!.getChild("fields")!.getChild("node")!.getChild("timestamp")!.getChild("numeric")!;
    expect(numeric.attrs).toMatchObject({ name: "temperature", value: "21.50", unit: "°C", momentary: "true" });
  });

  it("reads now when the cache is stale, and reports a failing node after the good ones", async () => {
    const good = await poller("good");
    const bad = await poller("bad", { fail: true });
    const { call, sent, follow } = setup([good, bad]);
    const out = await call("owner@x/app", req({ seqnr: "2" }));
    expect(out.send).toHaveLength(1);
    expect(sent).toStrictEqual([]); // nothing before the wiring sends the follow-up
    await follow(out);
    expect(sent).toHaveLength(2);
    expect(sent[0]!.getChild("fields")!.attrs.done).toBeUndefined();
    expect(sent[1]!.getChild("failure")!.attrs.done).toBe("true");
    expect(sent[1]!.getChild("failure")!.getChild("error")!.attrs.nodeId).toBe("bad");
  });

  it("times out a hanging sensor and still serves the others", async () => {
    const good = await poller("good");
    const slow = await poller("slow", { delay_ms: 5_000 }, 60_000, 100);
    const { call, sent, follow } = setup([good, slow]);
    const out = await call("owner@x/app", req({ seqnr: "3" }));
    await follow(out);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.getChild("failure")!.getChildText("error")).toMatch(/timed out after 100 ms/);
  });

  it("refuses strangers with forbidden + <rejected>", async () => {
    const { call } = setup([await poller("a")]);
    const out = await call("stranger@y/app", req({ seqnr: "4" }));
    const iq = out.send[0]!;
    expect(iq.attrs.type).toBe("error");
    expect(iq.getChild("rejected", NS_SENSORDATA)?.getChildText("error")).toBe("Access denied.");
    expect(iq.getChild("error")!.attrs.type).toBe("cancel");
    expect(iq.getChild("error")!.getChild("forbidden")).toBeDefined();
  });

  it("answers unknown nodes with item-not-found and bad requests with bad-request", async () => {
    const { call } = setup([await poller("a")]);
    const unknown = (await call("owner@x/app", req({ seqnr: "5" }, xml("node", { nodeId: "nope" })))).send[0]!;
    expect(unknown.getChild("error")!.getChild("item-not-found")).toBeDefined();
    const bad = (await call("owner@x/app", req({ seqnr: "zz" }))).send[0]!;
    expect(bad.getChild("error")!.getChild("bad-request")).toBeDefined();
    expect(bad.getChild("rejected")).toBeUndefined(); // seqnr unreadable → no <rejected>
  });

  it("queues a future readout, sends started then data, and cancel stops it", async () => {
    const a = await poller("a");
    const { call, sent, svc, follow } = setup([a]);
    const when = new Date(Date.now() + 150).toISOString();
    const out = await call("owner@x/app", req({ seqnr: "6", when }));
    expect(out.send[0]!.getChild("accepted")!.attrs.queued).toBe("true");
    await follow(out);
    expect(sent.map((s) => s.getChildElements()[0]!.name)).toStrictEqual(["started", "fields"]);
    expect(svc.activeSessions).toBe(0);

    sent.length = 0;
    const later = new Date(Date.now() + 60_000).toISOString();
    const queued = await call("owner@x/app", req({ seqnr: "7", when: later }));
    const following = follow(queued);
    const res = await call("owner@x/app", xml("cancel", { xmlns: NS_SENSORDATA, seqnr: "7" }), "get", "c7");
    expect(res.send[0]!.toString()).toBe(`<iq type="result" to="owner@x/app" from="thing@x/gw" id="c7"><cancelled xmlns="${NS_SENSORDATA}" seqnr="7"/></iq>`);
    expect(svc.activeSessions).toBe(0);
    await following; // ends at once, having sent nothing
    expect(sent).toStrictEqual([]);
    const again = await call("owner@x/app", xml("cancel", { xmlns: NS_SENSORDATA, seqnr: "7" }), "get", "c8");
    expect(again.send[0]!.getChild("error")!.getChild("item-not-found")).toBeDefined();
    expect(again.send[0]!.getChild("rejected")!.attrs.seqnr).toBe("7");
  });
});

const ieee = (attrs: Record<string, string>, ...c: Element[]) => xml("req", { xmlns: NS_IEEE_SENSORDATA, ...attrs }, ...c);

describe("SensorDataService, IEEE dialect", () => {
  it("answers a cached readout with <resp> inside the IQ result: one stanza", async () => {
    const a = await poller("a");
    await a.poll();
    const { call, sent } = setup([a]);
    const out = await call("reader@x/app", ieee({ id: "f1", m: "true" }));
    expect(out.followUp).toBeUndefined();
    expect(out.send).toHaveLength(1);
    expect(out.send[0]!.attrs.type).toBe("result");
    const resp = out.send[0]!.getChild("resp", NS_IEEE_SENSORDATA)!;
    expect(resp.attrs.more).toBeUndefined();
    expect(parseIeeeResp(resp).fields.map((f) => [f.element, f.name, f.value, f.unit, f.flags])).toStrictEqual([
      ["q", "temperature", "21.50", "°C", ["m", "ar"]],
    ]);
    expect(sent).toStrictEqual([]);
  });

  it("answers in the request's namespace (older builds and nfi)", async () => {
    const a = await poller("a");
    await a.poll();
    const { call } = setup([a]);
    for (const ns of ["urn:ieee:iot:sd", "urn:nfi:iot:sd:1.0"]) {
      const out = await call("reader@x/app", xml("req", { xmlns: ns, id: "n1", m: "true" }));
      expect(out.send[0]!.getChild("resp")!.getNS()).toBe(ns);
    }
  });

  it("stale cache: accepted, then one <resp> message with the failed node's <err>", async () => {
    const good = await poller("good");
    const bad = await poller("bad", { fail: true });
    const { call, sent, follow } = setup([good, bad]);
    const out = await call("owner@x/app", ieee({ id: "s1", m: "true" }));
    expect(out.send[0]!.getChild("accepted", NS_IEEE_SENSORDATA)?.attrs.id).toBe("s1");
    await follow(out);
    expect(sent).toHaveLength(1);
    const r = parseIeeeResp(sent[0]!.getChild("resp", NS_IEEE_SENSORDATA)!);
    expect(r.more).toBe(false);
    expect(r.fields.map((f) => `${f.node}/${f.name}`)).toStrictEqual(["good/temperature"]);
    expect(r.errors.map((e) => [e.nodeId, e.message])).toStrictEqual([["bad", "simulated failure"]]);
  });

  it("refuses strangers with a stanza error only, and bad requests with bad-request", async () => {
    const { call } = setup([await poller("a")]);
    const out = (await call("stranger@y/app", ieee({ id: "x1" }))).send[0]!;
    expect(out.getChild("error")!.getChild("forbidden")).toBeDefined();
    expect(out.getChildElements().map((c) => c.name)).toStrictEqual(["error"]);
    const noId = (await call("owner@x/app", ieee({ m: "true" }))).send[0]!;
    expect(noId.getChild("error")!.getChild("bad-request")).toBeDefined();
    const unknown = (await call("owner@x/app", ieee({ id: "x2" }, xml("nd", { id: "nope" })))).send[0]!;
    expect(unknown.getChild("error")!.getChild("item-not-found")).toBeDefined();
  });

  it("sessions are per dialect: an IEEE cancel does not touch a seqnr readout with the same id", async () => {
    const { call, svc } = setup([await poller("a")]);
    const later = new Date(Date.now() + 60_000).toISOString();
    const queued = await call("owner@x/app", ieee({ id: "7", when: later }));
    expect(queued.send[0]!.getChild("accepted", NS_IEEE_SENSORDATA)!.attrs.queued).toBe("true");
    await call("owner@x/app", req({ seqnr: "7", when: later }));
    expect(svc.activeSessions).toBe(2);
    const cancel = xml("cancel", { xmlns: NS_IEEE_SENSORDATA, id: "7" });
    const res = await call("owner@x/app", cancel, "set", "c7");
    expect([res.send[0]!.attrs.type, res.send[0]!.getChildElements().length]).toStrictEqual(["result", 0]);
    expect(svc.activeSessions).toBe(1);
    const again = await call("owner@x/app", cancel, "set", "c7");
    expect(again.send[0]!.getChild("error")!.getChild("item-not-found")).toBeDefined();
    expect(again.send[0]!.getChild("rejected")).toBeUndefined();
    svc.cancelAll();
  });

  it("identity and status fields only when asked, in both dialects", async () => {
    const a = await poller("a");
    await a.poll();
    const { call } = setup([a]);
    const names = async (attrs: Record<string, string>) =>
      parseIeeeResp((await call("owner@x/app", ieee({ id: "i", ...attrs }))).send[0]!.getChild("resp")!).fields.map((f) => `${f.element}:${f.name}:${f.flags[0]}`);
    expect(await names({ m: "true" })).toStrictEqual(["q:temperature:m"]);
    expect(await names({ i: "true" })).toStrictEqual(expect.arrayContaining(["s:driver:i", "s:thingd_version:i"]));
    expect((await names({ i: "true" })).every((n) => n.endsWith(":i"))).toBe(true);
    expect(await names({ s: "true" })).toStrictEqual(["dr:uptime:s", "i:read_count:s", "i:error_count:s", "s:last_error:s", "q:seconds_since_good_read:s"]);
    const xep = await call("owner@x/app", req({ seqnr: "9", status: "true" }));
    const els = xep.send[1]!.getChild("fields")!.getChild("node")!.getChild("timestamp")!.getChildElements();
    expect(els.map((e) => `${e.name}:${e.attrs.name}`)).toStrictEqual(["timeSpan:uptime", "numeric:read_count", "numeric:error_count", "string:last_error", "numeric:seconds_since_good_read"]);
    expect(els[1]!.attrs).toMatchObject({ value: "1", unit: "", status: "true" });
  });

  it("answers a status-only request for a failing sensor without reading it", async () => {
    const bad = await poller("bad", { fail: true });
    await expect(bad.poll()).rejects.toThrow();
    const { call } = setup([bad]);
    const out = await call("owner@x/app", ieee({ id: "st", s: "true" }));
    expect(out.send).toHaveLength(1);
    const r = parseIeeeResp(out.send[0]!.getChild("resp")!);
    expect(r.errors).toStrictEqual([]);
    expect(Object.fromEntries(r.fields.map((f) => [f.name, f.value]))).toMatchObject({ error_count: "1", read_count: "0", last_error: "simulated failure" });
    expect(bad.errorCount).toBe(1); // no second read
  });
});

describe("SensorDataService follow-ups", () => {
  it("a failed write goes back into the readout: logged there, its session ends, nothing is left hanging", async () => {
    const { call, svc } = setup([await poller("a")]);
    const out = await call("owner@x/app", req({ seqnr: "20" }));
    expect(svc.activeSessions).toBe(1);
    const writes: string[] = [];
    await sendFollowUp(out.followUp!, (batch) => {
      writes.push(batch[0]!.getChildElements()[0]!.name);
      return Promise.reject(new Error("socket closed"));
    });
    expect(writes).toStrictEqual(["fields"]);
    expect(svc.activeSessions).toBe(0);
  });

  it("a deferred readout stops when the service shuts down, before <started>", async () => {
    const { call, svc, sent, follow } = setup([await poller("a")]);
    const out = await call("owner@x/app", ieee({ id: "d1", when: new Date(Date.now() + 60_000).toISOString() }));
    const following = follow(out);
    svc.cancelAll();
    await following;
    expect(sent).toStrictEqual([]);
    expect(svc.activeSessions).toBe(0);
  });
});

describe("SensorDataService.readout (the entry point for callers that are not an IQ)", () => {
  const all = (o: Partial<ReadoutRequest> = {}): ReadoutRequest => ({ types: new Set(TYPE_FLAGS), nodes: [], fieldNames: new Set(), ...o });

  it("returns every node's outcome, reading stale ones, filtered by type and name", async () => {
    const good = await poller("good");
    const bad = await poller("bad", { fail: true });
    const { svc } = setup([good, bad]);
    const outcomes = await svc.readout("reader@x/chat", all({ types: new Set(["momentary"]) }));
    expect(outcomes.map((o) => ("fields" in o ? [o.nodeId, o.fields.map((f) => f.name)] : [o.nodeId, o.error]))).toStrictEqual([
      ["good", ["temperature"]],
      ["bad", "simulated failure"],
    ]);
    const named = await svc.readout("owner@x/chat", all({ nodes: [{ nodeId: "good" }], fieldNames: new Set(["nope"]) }));
    expect(named).toStrictEqual([{ nodeId: "good", fields: [] }]);
  });

  it("applies the access rules and knows its nodes", async () => {
    const { svc } = setup([await poller("a")]);
    await expect(svc.readout("stranger@y/chat", all())).rejects.toMatchObject({ name: "ProtocolError", condition: "forbidden" });
    await expect(svc.readout("owner@x/chat", all({ nodes: [{ nodeId: "nope" }] }))).rejects.toMatchObject({ condition: "item-not-found" });
  });
});
