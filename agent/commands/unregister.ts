// `thingd unregister [-c FILE]`: uninstall from the Thing Registry (protocol.md §2.4). Connects
// with the Thing's account (under its own resource, so a running daemon is not kicked off),
// sends <unregister/> to the registry, and sets the state to UNREGISTERED; the KEY is kept, so a
// printed claim code stays valid if the Thing registers again. Exit codes: 0 unregistered;
// 1 no state file, no registry, or the connection / request failed; 78 invalid sensor map.
import { readFile } from "node:fs/promises";
import { pino } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { printConfigError, type Io } from "./io.js";
import { loadConfig } from "../config/load.js";
import type { ThingConfig } from "../config/types.js";
import { ConfigError, EXIT_CONFIG, EXIT_FAILURE, EXIT_OK } from "../errors.js";
import { Registration } from "../ownership/registration.js";
import { StateStore } from "../ownership/state.js";
import { createConnection } from "../transport/connection.js";
import { readStateReadOnly } from "./claim.js";

export interface UnregisterOptions {
  config: string;
  timeoutMs?: number;
}

export async function unregisterCommand(opts: UnregisterOptions, io: Io): Promise<number> {
  let config: ThingConfig;
  try {
    config = await loadConfig(opts.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    printConfigError(io, err);
    return EXIT_CONFIG;
  }
  const previous = await readStateReadOnly(config.stateDir);
  if (!previous) {
    io.err(`thingd: no state file in ${config.stateDir}: this Thing never registered, nothing to unregister`);
    return EXIT_FAILURE;
  }
  const registry = config.registry.jid ?? previous.registry;
  if (!registry) {
    io.err(`thingd: no registry configured (registry.jid in ${config.file}) and none found by the daemon: nothing to unregister from`);
    return EXIT_FAILURE;
  }

  const log = pino({ level: "silent" });
  const store = new StateStore(config.stateDir, log);
  await store.load();
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const conn = createConnection({
    service: config.xmpp.service,
    domain: config.xmpp.domain,
    jid: config.xmpp.jid,
    password: config.xmpp.password,
    resource: `${config.xmpp.resource}-unregister`,
    tlsRequired: config.xmpp.tls.required,
    ...(config.xmpp.tls.ca ? { ca: await readFile(config.xmpp.tls.ca, "utf8") } : {}),
  });
  conn.entity.on("error", () => {}); // reported through start()/request() below
  try {
    await conn.entity.start();
    const registration: Registration = new Registration({
      registry,
      domain: config.xmpp.domain,
      meta: {},
      store,
      log,
      request: (stanza) => conn.iqCaller.request(stanza, timeoutMs),
      send: async (stanza) => (await conn.entity.send(stanza), true),
      isOnline: () => true,
    });
    if (registry.includes("@")) {
      // A JID registry is reached at its full JID, which its presence tells (protocol.md §2.1).
      conn.entity.on("stanza", (el: Element) => el.name === "presence" && registration.handlePresence(el));
      await conn.entity.send(xml("presence", {}));
    }
    await registration.unregister();
  } catch (err) {
    const condition = (err as { condition?: string }).condition;
    io.err(`thingd: unregister from ${registry} failed: ${condition ?? (err as Error).message}`);
    return EXIT_FAILURE;
  } finally {
    await conn.entity.stop().catch(() => undefined);
  }
  io.out(`Unregistered from ${registry} (was ${previous.status}${previous.owner ? `, owner ${previous.owner}` : ""}); state is now UNREGISTERED, KEY kept.`);
  return EXIT_OK;
}
