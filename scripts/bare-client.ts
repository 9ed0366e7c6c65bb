// The benchmark's memory and start-up baseline: a bare xmpp.js client (the same composition
// thingd uses, agent/transport/connection.ts) that logs in, sends presence and answers XEP-0199
// pings, nothing else. Usage: node dist/scripts/bare-client.js SERVICE CA_FILE JID PASSWORD RESOURCE
import { readFileSync } from "node:fs";
import { xml, type Element } from "@xmpp/xml";
import { createConnection } from "../agent/transport/connection.js";

const [service, caFile, jid, password, resource] = process.argv.slice(2);
if (!service || !caFile || !jid || !password || !resource) {
  console.error("usage: bare-client SERVICE CA_FILE JID PASSWORD RESOURCE");
  process.exit(64);
}
const conn = createConnection({ service, domain: jid.split("@")[1]!, jid, password, resource, ca: readFileSync(caFile, "utf8"), tlsRequired: true });
conn.middleware.use(async (ctx: { stanza: Element }, next: () => Promise<unknown>) => {
  const { stanza } = ctx;
  if (stanza.name !== "iq" || stanza.attrs.type !== "get" || !stanza.getChild("ping", "urn:xmpp:ping")) return next();
  await conn.entity.send(xml("iq", { type: "result", to: stanza.attrs.from, id: stanza.attrs.id }));
  return undefined;
});
conn.entity.on("error", () => {});
process.on("SIGTERM", () => void conn.entity.stop().catch(() => undefined).finally(() => process.exit(0)));
await conn.entity.start();
await conn.entity.send(xml("presence", {}));
process.stdout.write("ready\n");
