// The benchmark's do-nothing responder, run as its own process like thingd: it logs in and
// answers every <req> with an IQ result + one prebuilt <fields> message, and every IEEE <req>
// (urn:ieee:iot:sd:1.0) with an IQ result carrying a prebuilt <resp> (thingd's cached IEEE
// answer), and XEP-0199 pings, nothing else: the floor both dialects are compared with.
// Usage: node dist/scripts/dummy-responder.js SERVICE CA_FILE JID PASSWORD RESOURCE [NODES]
// With NODES (the scale floor): every seqnr <req> gets NODES nodes × 5 fields, as thingd's
// simulated scale config answers, serialised once at start and written as text (no per-request
// element building), so the time measured is the server's and the client's alone.
import { readFileSync } from "node:fs";
import { xml, type Element } from "@xmpp/xml";
import { createConnection } from "../agent/transport/connection.js";
import { buildAccepted, buildFieldsMessage, buildReadoutMessages } from "../agent/protocol/sensordata.js";
import { NS_SENSORDATA } from "../agent/protocol/ns.js";
import { buildIeeeResp } from "../agent/protocol/ieee-sensordata.js";

const NS_IEEE = "urn:ieee:iot:sd:1.0";

const [service, caFile, jid, password, resource, scaleNodes] = process.argv.slice(2);
if (!service || !caFile || !jid || !password || !resource) {
  console.error("usage: dummy-responder SERVICE CA_FILE JID PASSWORD RESOURCE");
  process.exit(64);
}
const conn = createConnection({ service, domain: jid.split("@")[1]!, jid, password, resource, ca: readFileSync(caFile, "utf8"), tlsRequired: true });
const timestamp = new Date();
const template = [
  {
    nodeId: "room",
    fields: [
      { type: "numeric" as const, name: "temperature", value: 21.37, unit: "°C" as const, decimals: 2, timestamp },
      { type: "numeric" as const, name: "humidity", value: 40.2, unit: "%" as const, decimals: 1, timestamp },
    ],
  },
];
// The scale payload: "\u0001" stands for the requester's JID, "\u0002" for the seqnr.
const scalePayload = scaleNodes
  ? buildReadoutMessages(
      "\u0001",
      "\u0002",
      Array.from({ length: Number(scaleNodes) }, (_, i) => ({
        nodeId: `s${String(i + 1).padStart(2, "0")}`,
        fields: Array.from({ length: 5 }, (_, k) => ({ type: "numeric" as const, name: k === 0 ? "temperature" : k === 1 ? "humidity" : `f${k}`, value: 21.37 + k, unit: "°C" as const, decimals: 2, timestamp })),
      })),
      [],
    )
      .map(String)
      .join("")
      .split(/([\u0001\u0002])/)
  : undefined;
conn.middleware.use(async (ctx: { stanza: Element }, next: () => Promise<unknown>) => {
  if (ctx.stanza.name !== "iq") return next();
  const { from, id } = ctx.stanza.attrs;
  if (ctx.stanza.attrs.type === "get" && ctx.stanza.getChild("ping", "urn:xmpp:ping")) {
    await conn.entity.send(xml("iq", { type: "result", to: from, id })); // as the bare client does
    return undefined;
  }
  const ieee = ctx.stanza.getChild("req", NS_IEEE);
  if (ieee) {
    await conn.entity.send(xml("iq", { type: "result", to: from, id }, buildIeeeResp(NS_IEEE, ieee.attrs.id!, template, [])));
    return undefined;
  }
  const req = ctx.stanza.getChild("req", NS_SENSORDATA);
  if (!req) return next();
  if (scalePayload) {
    const seqnr = req.attrs.seqnr!;
    const text = scalePayload.map((part) => (part === "\u0001" ? escapeAttr(from!) : part === "\u0002" ? escapeAttr(seqnr) : part)).join("");
    await conn.entity.write(xml("iq", { type: "result", to: from, id }, buildAccepted(seqnr)).toString() + text);
    return undefined;
  }
  const seqnr = req.attrs.seqnr!;
  await conn.entity.sendMany([xml("iq", { type: "result", to: from, id }, buildAccepted(seqnr)), buildFieldsMessage(from!, seqnr, template, true)]);
  return undefined;
});
conn.entity.on("error", () => {});

function escapeAttr(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll("'", "&apos;").replaceAll('"', "&quot;");
}
process.on("SIGTERM", () => void conn.entity.stop().catch(() => undefined).finally(() => process.exit(0)));
await conn.entity.start();
await conn.entity.send(xml("presence", {}));
process.stdout.write("ready\n");
