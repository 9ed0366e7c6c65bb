// The history seam in the sensor-data service and the poller's reading hook, with real
// pollers over the simulated driver and a real store (no XMPP server needed).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { AccessPolicy } from "../../../agent/access/policy.js";
import { Poller, type Reading } from "../../../agent/sensors/poller.js";
import { SensorDataService } from "../../../agent/sensordata/service.js";
import { HistoryStore } from "../../../agent/history/store.js";
import { NS_SENSORDATA } from "../../../agent/protocol/ns.js";
import { simulated, simulatedConfigSchema } from "../../../drivers/simulated.js";
import type { IqOutcome } from "../../../agent/transport/iq-router.js";

const log = pino({ level: "silent" });
const cleanup: Array<() => void> = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

async function poller(id: string, extra: Record<string, unknown> = {}) {
  const cfg = simulatedConfigSchema.parse({ fields: [{ name: "temperature", unit: "°C", value: 21.5, decimals: 2 }], ...extra });
  const sensor = await simulated.open(cfg, { bus: undefined as never, log, id });
  return new Poller({ id, driver: "simulated", periodMs: 60_000, timeoutMs: 300 }, sensor, log);
}

function store(): HistoryStore {
  const dir = mkdtempSync(path.join(tmpdir(), "thingd-history-svc-"));
  const s = new HistoryStore({ dir, keepMs: 86_400_000, maxBytes: 1024 ** 2, flushMs: 30_000 });
  cleanup.push(() => (s.close(), rmSync(dir, { recursive: true, force: true })));
  return s;
}

const fieldEls = (messages: Element[]) =>
  messages.flatMap((m) => m.getChild("fields")?.getChildren("node").flatMap((n) => n.getChildren("timestamp").flatMap((t) => t.getChildElements())) ?? []);

describe("Poller.onReading", () => {
  it("hands every good reading to the listeners, not failed ones; a throwing listener does not break the read", async () => {
    const p = await poller("a");
    const seen: Reading[] = [];
    p.onReading(() => {
      throw new Error("listener bug");
    });
    p.onReading((r) => seen.push(r));
    const r = await p.poll();
    expect(seen).toStrictEqual([r]);
    const bad = await poller("b", { fail: true });
    const badSeen: Reading[] = [];
    bad.onReading((x) => badSeen.push(x));
    await expect(bad.poll()).rejects.toThrow();
    expect(badSeen).toStrictEqual([]);
  });
});

describe("SensorDataService with history", () => {
  it("answers historical flags from the store beside live values, and momentary alone without them", async () => {
    const a = await poller("a");
    const history = store();
    a.onReading((r) => history.append("a", r.fields));
    await a.poll();
    history.flush();
    const svc = new SensorDataService({ pollers: () => [a], access: new AccessPolicy([], () => "owner@x"), log, history: { store: history, maxFieldsPerRequest: 100 } });
    const call = async (attrs: Record<string, string>) => {
      const child = xml("req", { xmlns: NS_SENSORDATA, ...attrs });
      return (await svc.handleRequest({ stanza: xml("iq", { type: "get", from: "owner@x/app", to: "thing@x/gw", id: "q" }, child), child, from: "owner@x/app" })) as IqOutcome;
    };

    const both = await call({ seqnr: "1", momentary: "true", historicalSecond: "true", historicalHour: "true" });
    const els = fieldEls(both.send.slice(1));
    expect(els.map((e) => [e.attrs.name, Object.keys(e.attrs).find((k) => k === "momentary" || k.startsWith("historical")), e.attrs.value])).toStrictEqual([
      ["temperature", "momentary", "21.50"],
      ["temperature", "historicalSecond", "21.50"],
      ["temperature", "historicalHour", "21.50"],
      ["temperature, min", "historicalHour", "21.50"],
      ["temperature, max", "historicalHour", "21.50"],
    ]);

    const live = await call({ seqnr: "2", momentary: "true" });
    expect(fieldEls(live.send.slice(1)).map((e) => e.attrs.name)).toStrictEqual(["temperature"]);
    expect(fieldEls(live.send.slice(1)).some((e) => Object.keys(e.attrs).some((k) => k.startsWith("historical")))).toBe(false);

    // The same through the entry point for callers that are not an IQ.
    const outcomes = await svc.readout("owner@x/chat", { types: new Set(["historicalHour"]), nodes: [], fieldNames: new Set(["temperature"]) });
    expect(outcomes.flatMap((o) => ("fields" in o ? o.fields.map((f) => `${o.nodeId}/${f.name}/${f.kind}`) : []))).toStrictEqual([
      "a/temperature/historicalHour",
      "a/temperature, min/historicalHour",
      "a/temperature, max/historicalHour",
    ]);
  });
});
