// Chaos: hostile and broken stanzas from an allowed reader and from strangers, then floods.
// Every request gets the exact stanza error docs/protocol.md §5 names (or is ignored, for things
// that must never be answered), thingd keeps answering ping and readouts, its memory stays
// bounded, and a stranger's flood does not slow the owner down.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { NS_DISCOVERY, NS_SENSORDATA } from "../../agent/protocol/ns.js";
import type { ReaderClient } from "../../scripts/lib/reader-client.js";
import { errorOf } from "../helpers/stanzas.js";
import { median, pingStanza, rssKiB, startRig, THING, type Rig } from "./rig.js";
import { ROOM_SENSOR } from "../helpers/sensor-maps.js";

let rig: Rig;
let reader: ReaderClient;
let owner: ReaderClient;

beforeAll(async () => {
  rig = await startRig({
    body: `limits:
  requests_per_second: 50
  burst: 100
sensors:
${ROOM_SENSOR}  - id: air
    driver: simulated
    every: 1s
    fields:
      - { name: pm2_5, unit: "µg/m³", value: 7, decimals: 0 }
`,
  });
  await rig.claim();
  reader = await rig.client("reader");
  owner = await rig.client("owner");
});

afterAll(() => rig?.close());

const req = (attrs: Record<string, string>, ...children: Element[]) => xml("iq", { type: "get", to: THING }, xml("req", { xmlns: NS_SENSORDATA, ...attrs }, ...children));
const nested = (depth: number): Element => {
  let el = xml("leaf", {});
  for (let i = 0; i < depth; i++) el = xml("x", {}, el);
  return el;
};
const many = (n: number, make: (i: number) => Element) => Array.from({ length: n }, (_, i) => make(i));

type Expect = [type: string, condition: string, rejectedSeqnr?: string] | "ignored" | "result";

/** The hostile corpus: [name, stanza, what thingd must answer]. */
const CORPUS: Array<[string, () => Element, Expect]> = [
  ["seqnr not an integer", () => req({ seqnr: "abc", momentary: "true" }), ["modify", "bad-request"]],
  ["seqnr missing", () => req({ momentary: "true" }), ["modify", "bad-request"]],
  ["seqnr of 100,000 digits", () => req({ seqnr: "9".repeat(100_000) }), ["modify", "bad-request"]],
  ["boolean flag 'maybe'", () => req({ seqnr: "11", momentary: "maybe" }), ["modify", "bad-request", "11"]],
  ["when not a dateTime", () => req({ seqnr: "12", when: "yesterday" }), ["modify", "bad-request", "12"]],
  ["when a year ahead", () => req({ seqnr: "13", when: "2099-01-01T00:00:00Z" }), ["modify", "bad-request", "13"]],
  ["3,000 unknown node filters", () => req({ seqnr: "14" }, ...many(3000, (i) => xml("node", { nodeId: `n${i}` }))), ["cancel", "item-not-found", "14"]],
  ["a 100 kB nodeId", () => req({ seqnr: "15" }, xml("node", { nodeId: "n".repeat(100_000) })), ["cancel", "item-not-found", "15"]],
  ["3,000 node filters naming known nodes", () => req({ seqnr: "16", momentary: "true" }, ...many(3000, (i) => xml("node", { nodeId: i % 2 ? "room" : "air" }))), "result"],
  ["5,000 unknown field filters", () => req({ seqnr: "17", momentary: "true" }, ...many(5000, (i) => xml("field", { name: `f${i}` }))), "result"],
  ["1,000-deep nesting inside req", () => req({ seqnr: "18", momentary: "true" }, nested(1000)), "result"],
  ["1,000-deep nesting, unknown namespace", () => xml("iq", { type: "get", to: THING }, xml("query", { xmlns: "urn:example:deep" }, nested(1000))), ["cancel", "service-unavailable"]],
  ["unknown namespace (get)", () => xml("iq", { type: "get", to: THING }, xml("query", { xmlns: "urn:example:nope" })), ["cancel", "service-unavailable"]],
  ["unknown namespace (set)", () => xml("iq", { type: "set", to: THING }, xml("zap", { xmlns: "urn:example:nope" })), ["cancel", "service-unavailable"]],
  ["req as IQ set", () => xml("iq", { type: "set", to: THING }, xml("req", { xmlns: NS_SENSORDATA, seqnr: "19" })), ["cancel", "service-unavailable"]],
  ["req without a namespace", () => xml("iq", { type: "get", to: THING }, xml("req", { seqnr: "20" })), ["cancel", "service-unavailable"]],
  ["IQ without a payload", () => xml("iq", { type: "get", to: THING }), ["modify", "bad-request"]],
  ["IQ with two payloads", () => xml("iq", { type: "get", to: THING }, xml("ping", { xmlns: "urn:xmpp:ping" }), xml("ping", { xmlns: "urn:xmpp:ping" })), ["modify", "bad-request"]],
  ["cancel for an unknown seqnr", () => xml("iq", { type: "get", to: THING }, xml("cancel", { xmlns: NS_SENSORDATA, seqnr: "999" })), ["cancel", "item-not-found", "999"]],
  ["disco#info for an unknown node", () => xml("iq", { type: "get", to: THING }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info", node: "x".repeat(5000) })), ["cancel", "item-not-found"]],
  ["spoofed registry push: claimed", () => xml("iq", { type: "set", to: THING }, xml("claimed", { xmlns: NS_DISCOVERY, jid: "reader@localhost" })), ["cancel", "forbidden"]],
  ["spoofed registry push: disowned", () => xml("iq", { type: "set", to: THING }, xml("disowned", { xmlns: NS_DISCOVERY })), ["cancel", "forbidden"]],
  ["spoofed registry push: removed", () => xml("iq", { type: "set", to: THING }, xml("removed", { xmlns: NS_DISCOVERY })), ["cancel", "forbidden"]],
  ["IQ result to the thing", () => xml("iq", { type: "result", to: THING, id: "nobody-asked" }, xml("query", { xmlns: "jabber:iq:roster" })), "ignored"],
  ["IQ error to the thing", () => xml("iq", { type: "error", to: THING, id: "nobody-asked-2" }, xml("error", { type: "cancel" })), "ignored"],
  // Prosody itself bounces this one in the Thing's name (RFC 6120 §8.2.3); thingd never sees it.
  ["IQ of an unknown type", () => xml("iq", { type: "zap", to: THING, id: "zap-1" }, xml("ping", { xmlns: "urn:xmpp:ping" })), ["modify", "bad-request"]],
  ["message with sensor-data payloads", () => xml("message", { to: THING }, xml("fields", { xmlns: NS_SENSORDATA, seqnr: "1", done: "true" }), xml("req", { xmlns: NS_SENSORDATA, seqnr: "1" })), "ignored"],
  ["message with 1,000-deep nesting", () => xml("message", { to: THING }, nested(1000)), "ignored"],
];

/** Sends `stanza` and then a ping; returns what came back from thingd in between, then the ping reply. */
async function exchange(client: ReaderClient, stanza: Element): Promise<Element[]> {
  const got: Element[] = [];
  const listener = (el: Element) => {
    if (el.attrs.from === THING || el.attrs.from === "thing@localhost") got.push(el);
  };
  client.conn.entity.on("stanza", listener);
  try {
    const marker = `marker-${Math.random()}`;
    const pong = client.waitFor((el) => el.name === "iq" && el.attrs.id === marker);
    if (stanza.name === "iq" && !stanza.attrs.id) stanza.attrs.id = `h-${Math.random()}`;
    await client.conn.entity.send(stanza);
    await client.conn.entity.send(xml("iq", { type: "get", to: THING, id: marker }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    await pong;
    await new Promise((r) => setTimeout(r, 20)); // the readout's <fields> message may follow its result
    return got;
  } finally {
    client.conn.entity.removeListener("stanza", listener);
  }
}

async function runCorpus(): Promise<void> {
  for (const [name, make, expected] of CORPUS) {
    const stanza = make();
    const got = await exchange(reader, stanza);
    const replies = got.filter((el) => el.name === "iq" && el.attrs.id === stanza.attrs.id);
    const others = got.filter((el) => !(el.name === "iq" && el.attrs.type === "result" && el.attrs.id?.startsWith("marker-")) && !replies.includes(el));
    if (expected === "ignored") {
      expect(got.map((el) => el.toString().slice(0, 200)), name).toStrictEqual([got.at(-1)!.toString().slice(0, 200)]);
      continue;
    }
    expect(replies.length, name).toBe(1);
    const reply = replies[0]!;
    if (expected === "result") {
      expect([reply.attrs.type, errorOf(reply)], name).toStrictEqual(["result", [undefined, undefined]]);
      continue;
    }
    const [type, condition, seqnr] = expected;
    expect([reply.attrs.type, ...errorOf(reply)], name).toStrictEqual(["error", type, condition]);
    expect(reply.getChild("rejected", NS_SENSORDATA)?.attrs.seqnr, name).toBe(seqnr);
    expect(others, name).toStrictEqual([]); // no readout started for a refused request
  }
}

describe("hostile stanzas", () => {
  it(`answers each of ${CORPUS.length} hostile stanzas exactly as docs/protocol.md §5 says, keeps working, memory bounded`, async () => {
    await runCorpus(); // warm-up round: caches, JIT
    const pid = rig.agent.child.pid!;
    const rss1 = await rssKiB(pid);
    for (let i = 0; i < 3; i++) await runCorpus();
    const rss2 = await rssKiB(pid);
    console.log(`thingd RSS after the corpus x1: ${rss1} KiB, x4: ${rss2} KiB`);
    expect(rss2 - rss1).toBeLessThan(25_000);
    expect(rig.agent.child.exitCode).toBeNull();
    const ping = await reader.iq(pingStanza());
    expect(ping.attrs.type).toBe("result");
    const r = await owner.read(THING, { momentary: "true" });
    expect(r.fields.map((f) => `${f.node}/${f.name}=${f.value}`)).toStrictEqual(["room/temperature=21.40", "air/pm2_5=7"]);
  }, 60_000);

  it("refuses a stranger's readout (forbidden + <rejected>) and a stranger's spoofed claim", async () => {
    const stranger = await rig.client("stranger");
    const r = await stranger.read(THING, { seqnr: "77", momentary: "true" });
    expect([r.reply.attrs.type, ...errorOf(r.reply)]).toStrictEqual(["error", "cancel", "forbidden"]);
    expect(r.reply.getChild("rejected", NS_SENSORDATA)?.attrs.seqnr).toBe("77");
    const claim = await stranger.iq(xml("iq", { type: "set", to: THING }, xml("claimed", { xmlns: NS_DISCOVERY, jid: "stranger@localhost" })));
    expect(errorOf(claim)).toStrictEqual(["cancel", "forbidden"]);
  });

  it("refuses a stranger's flood while the owner's readouts stay fast", async () => {
    const stranger = await rig.client("stranger", "flood");
    const ownerRead = async () => {
      const t = performance.now();
      const r = await owner.read(THING, { momentary: "true" }, [xml("node", { nodeId: "room" })]);
      expect(r.fields.map((f) => f.value)).toStrictEqual(["21.40"]);
      return performance.now() - t;
    };
    const quiet: number[] = [];
    for (let i = 0; i < 30; i++) quiet.push(await ownerRead());

    let flooding = true;
    const refusals: string[] = [];
    const flood = Promise.all(
      Array.from({ length: 32 }, async () => {
        while (flooding) {
          const r = await stranger.read(THING, { momentary: "true" });
          refusals.push(`${r.reply.attrs.type}/${errorOf(r.reply).join("/")}/${r.messages.length}`);
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const loud: number[] = [];
    for (let i = 0; i < 30; i++) loud.push(await ownerRead());
    flooding = false;
    await flood;

    console.log(`owner p50 quiet ${median(quiet).toFixed(1)} ms, during a flood of ${refusals.length} stranger requests ${median(loud).toFixed(1)} ms`);
    expect(refusals.length).toBeGreaterThan(200);
    expect(new Set(refusals)).toStrictEqual(new Set(["error/cancel/forbidden/0"]));
    // Generous: the flood shares 2 busy cores with Prosody, both clients and thingd.
    expect(median(loud)).toBeLessThan(Math.max(10 * median(quiet), median(quiet) + 150));
  });

  it("holds a reader that floods to its bucket with resource-constraint (wait) + <rejected>", async () => {
    const greedy = await rig.client("reader", "greedy");
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => greedy.read(THING, { seqnr: String(1000 + i), momentary: "true" })));
    const kinds = results.map((r) => (r.reply.attrs.type === "result" ? "ok" : errorOf(r.reply).join("/")));
    const limited = results.filter((r) => errorOf(r.reply)[1] === "resource-constraint");
    console.log(`300 requests at once, burst 100: ${kinds.filter((k) => k === "ok").length} served, ${limited.length} limited`);
    expect(new Set(kinds)).toStrictEqual(new Set(["ok", "wait/resource-constraint"]));
    expect(kinds.filter((k) => k === "ok").length).toBeGreaterThanOrEqual(100);
    expect(limited.length).toBeGreaterThan(100);
    results.forEach((r, i) => {
      if (errorOf(r.reply)[1] === "resource-constraint") expect(r.reply.getChild("rejected", NS_SENSORDATA)?.attrs.seqnr).toBe(String(1000 + i));
      else expect(r.fields.length).toBe(2);
    });
    // The owner has its own bucket, 20x larger: unaffected.
    const r = await owner.read(THING, { momentary: "true" }, [xml("node", { nodeId: "room" })]);
    expect(r.fields.map((f) => f.value)).toStrictEqual(["21.40"]);
    // After a second the reader is served again.
    await new Promise((res) => setTimeout(res, 1_000));
    const again = await greedy.read(THING, { momentary: "true" });
    expect(again.reply.attrs.type).toBe("result");
  });
});
