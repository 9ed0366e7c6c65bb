// The subscription manager over real pollers fed a scripted value sequence, on a fake clock:
// threshold, minInt, maxInt, offline/online and limits, with exact times (no wall-clock luck).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pino } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { AccessPolicy } from "../../../agent/access/policy.js";
import { ControlService } from "../../../agent/control/service.js";
import { EventSubscriptions } from "../../../agent/events/manager.js";
import { ThingApi } from "../../../agent/people/thing-api.js";
import { Poller } from "../../../agent/sensors/poller.js";
import { buildSubscribe, NS_IEEE_EVENTS } from "../../../agent/protocol/events.js";
import { parseIeeeResp } from "../../../agent/protocol/ieee-sensordata.js";
import { sendFollowUp } from "../../../agent/transport/follow-up.js";
import type { IqOutcome } from "../../../agent/transport/iq-router.js";
import type { Sensor } from "../../../drivers/types.js";
import type { StatusSnapshot } from "../../../agent/ops/status.js";

const log = pino({ level: "silent" });
const READER = "reader@example.org/phone";

/** A sensor whose next value the test sets (the scripted sequence). */
function scripted(): { sensor: Sensor; set(v: number): void } {
  let value = 20;
  return {
    set: (v) => (value = v),
    sensor: {
      read: () => Promise.resolve([{ type: "numeric", name: "temperature", value, unit: "°C", decimals: 1, timestamp: new Date() }]),
      close: () => Promise.resolve(),
    },
  };
}

let poller: Poller;
let script: ReturnType<typeof scripted>;
let sent: Element[];
let events: EventSubscriptions;

async function reading(v: number): Promise<void> {
  script.set(v);
  await poller.poll();
  await vi.advanceTimersByTimeAsync(0); // let the push's send settle
}

async function subscribe(attrs: Parameters<typeof buildSubscribe>[1], from = READER): Promise<IqOutcome> {
  const child = buildSubscribe(NS_IEEE_EVENTS, attrs);
  const out = (await events.handleSubscribe({ stanza: xml("iq", { type: "get", from, id: "q" }, child), child, from })) as IqOutcome;
  if (out.followUp) await sendFollowUp(out.followUp, () => Promise.resolve(true));
  await vi.advanceTimersByTimeAsync(0);
  return out;
}

const pushed = () =>
  sent.map((m) =>
    parseIeeeResp(m.getChild("resp")!)
      .fields.map((f) => f.value)
      .join(","),
  );

beforeEach(async () => {
  vi.useFakeTimers({ now: 1_000_000 });
  script = scripted();
  poller = new Poller({ id: "room", driver: "simulated", periodMs: 1000, timeoutMs: 500 }, script.sensor, log);
  const access = new AccessPolicy(["reader@example.org"], () => "owner@example.org");
  const pollers = () => [poller];
  const api = new ThingApi({ pollers, access, control: new ControlService(pollers, () => false, log), status: () => ({}) as StatusSnapshot });
  sent = [];
  events = new EventSubscriptions({ api, send: (s) => (sent.push(...s), Promise.resolve(true)), limits: () => ({ perJid: 2, total: 3 }), log });
  poller.onReading((r) => events.onReading(poller.id, r));
  await reading(20);
});

afterEach(() => {
  events.stop();
  vi.useRealTimers();
});

describe("event subscriptions over the poll loop", () => {
  it("threshold: 20.4 and 20.9 stay quiet, 21.0 pushes; req pushes at once", async () => {
    await subscribe({ id: "a", fields: [{ name: "temperature", by: 1 }], req: true });
    expect(pushed()).toStrictEqual(["20.0"]);
    for (const v of [20.4, 20.9]) await reading(v);
    expect(pushed()).toStrictEqual(["20.0"]);
    await reading(21);
    expect(pushed()).toStrictEqual(["20.0", "21.0"]);
    expect(sent[1]!.attrs.to).toBe(READER);
  });

  it("minInt: a second change 1 s later waits until 5 s after the first push, then sends the latest value", async () => {
    await subscribe({ id: "a", fields: [{ name: "temperature", by: 1 }], minInt: "PT5S" });
    await vi.advanceTimersByTimeAsync(5000);
    await reading(22);
    expect(pushed()).toStrictEqual(["22.0"]);
    const first = Date.now();
    await vi.advanceTimersByTimeAsync(1000);
    await reading(24);
    await reading(25);
    expect(pushed()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(first + 4999 - Date.now());
    expect(pushed()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(pushed()).toStrictEqual(["22.0", "25.0"]);
  });

  it("maxInt: a heartbeat every 10 s without change, from the cache (no sensor read)", async () => {
    await subscribe({ id: "a", maxInt: "PT10S" });
    const reads = poller.readCount;
    await vi.advanceTimersByTimeAsync(9999);
    expect(pushed()).toStrictEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(pushed()).toStrictEqual(["20.0"]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(pushed()).toStrictEqual(["20.0", "20.0"]);
    expect(poller.readCount).toBe(reads);
  });

  it("offline: nothing is pushed, not even maxInt; back online the held event goes out", async () => {
    await subscribe({ id: "a", fields: [{ name: "temperature", by: 1 }], maxInt: "PT10S" });
    events.handlePresence(xml("presence", { from: READER, type: "unavailable" }));
    await reading(30);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(pushed()).toStrictEqual([]);
    events.handlePresence(xml("presence", { from: READER }));
    await vi.advanceTimersByTimeAsync(0);
    expect(pushed()).toStrictEqual(["30.0"]);
  });

  it("a bounced push suspends; presence unsubscribed ends the subscriptions", async () => {
    await subscribe({ id: "a", fields: [{ name: "temperature", by: 1 }] });
    events.handleBounce(xml("message", { from: READER, type: "error" }));
    await reading(30);
    expect(pushed()).toStrictEqual([]);
    events.handlePresence(xml("presence", { from: "reader@example.org", type: "unsubscribed" }));
    expect(events.size).toBe(0);
  });

  it("limits per subscriber and in total; a stranger is refused", async () => {
    await subscribe({ id: "a" });
    await subscribe({ id: "b" });
    await subscribe({ id: "b" }); // replaces, does not count
    await expect(subscribe({ id: "c" })).rejects.toMatchObject({ condition: "resource-constraint" });
    await subscribe({ id: "c" }, "reader@example.org/laptop").catch(() => undefined); // same bare JID: over its limit
    await subscribe({ id: "x" }, "owner@example.org/pc");
    await expect(subscribe({ id: "y" }, "owner@example.org/pc")).rejects.toMatchObject({ condition: "resource-constraint" });
    await expect(subscribe({ id: "z" }, "stranger@example.org/x")).rejects.toMatchObject({ condition: "forbidden" });
    expect(events.size).toBe(3);
  });
});
