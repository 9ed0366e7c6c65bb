// `thingd-registry run`: load the state, connect as a component, answer until SIGTERM.
// READY=1 once the state is loaded and the first connection attempt is over (connected or
// not: the link keeps retrying by itself); WATCHDOG=1 while the event loop answers.
import { xml, type Element } from "@xmpp/xml";
import type { Logger } from "pino";
import { createNotifier } from "../agent/ops/sd-notify.js";
import { createHealthMonitor, startWatchdog } from "../agent/ops/watchdog.js";
import { answerChat } from "./chat.js";
import { ComponentLink } from "./component.js";
import type { RegistryConfig } from "./config.js";
import { answerIq } from "./iq.js";
import { bareJid } from "./jid.js";
import { RegistryService } from "./service.js";
import { Journal } from "./store/journal.js";
import { fromStored, recordKey, toStored } from "./store/record.js";
import { ThingStore } from "./store/things.js";

export interface Registry {
  service: RegistryService;
  store: ThingStore;
  link: ComponentLink;
  stop(): Promise<void>;
}

/** Loads the state and starts the component; resolves after the first connection attempt. */
export async function startRegistry(cfg: RegistryConfig, log: Logger): Promise<Registry> {
  let last: Promise<void> = Promise.resolve();
  // The journal reads the store (for snapshots) and the store writes to the journal: closures.
  const journal: Journal = new Journal(
    cfg.stateDir,
    log,
    () => [...store.all()].map(toStored),
    () => store.size,
  );
  const store = new ThingStore((change) => {
    last = journal.append("put" in change ? { put: toStored(change.put) } : change);
    last.catch(() => undefined); // reported by the journal; the request waiting on it fails
  });
  const started = Date.now();
  const loaded = await journal.open((t) => recordKey(t.jid, t));
  for (const t of loaded.things.values()) store.put(fromStored(t), true);
  log.info({ things: store.size, replayed: loaded.replayed, ms: Date.now() - started, stateDir: cfg.stateDir }, "registry state loaded");

  // The service pushes through the link (declared below), the link feeds the service.
  const service = new RegistryService({ store, durable: () => last, push: (to, payload, onReply) => link.push(to, payload, onReply), log });
  const reply = (p: Promise<Element | undefined>) => {
    void p
      .then(
        (el) => (el ? link.send(el) : undefined),
        (err: unknown) => log.error({ err }, "internal error handling a stanza"),
      )
      .catch((err: unknown) => log.warn({ err: { message: (err as Error).message } }, "could not send a reply"));
  };
  const onStanza = (stanza: Element) => {
    const type = stanza.attrs.type;
    if (stanza.name === "iq" && (type === "get" || type === "set")) {
      reply(answerIq(stanza, { service, domain: cfg.domain, log }));
      return;
    }
    if (stanza.name === "message") {
      reply(answerChat(stanza, service, cfg.domain, log));
      return;
    }
    if (stanza.name === "presence" && stanza.attrs.from) {
      // People add the registry as a contact to chat with it: approve, and show it online.
      const to = bareJid(stanza.attrs.from);
      const answers =
        type === "subscribe"
          ? [xml("presence", { type: "subscribed", to, from: cfg.domain }), xml("presence", { to, from: cfg.domain })]
          : type === "probe"
            ? [xml("presence", { to, from: cfg.domain })]
            : type === "unsubscribe"
              ? [xml("presence", { type: "unsubscribed", to, from: cfg.domain })]
              : [];
      for (const el of answers) reply(Promise.resolve(el));
      return;
    }
    if (stanza.name === "iq" && type !== "result" && type !== "error") {
      reply(
        Promise.resolve(
          xml(
            "iq",
            { type: "error", id: stanza.attrs.id, to: stanza.attrs.from, from: cfg.domain },
            xml("error", { type: "modify" }, xml("bad-request", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" })),
          ),
        ),
      );
    }
  };
  const link = new ComponentLink({ service: cfg.service, domain: cfg.domain, secret: cfg.secret, log, onStanza });
  await link.start();
  return {
    service,
    store,
    link,
    async stop() {
      await link.stop();
      await journal.close();
    },
  };
}

/** The daemon: start, notify systemd, run until SIGTERM/SIGINT. Resolves with the exit code. */
export async function runDaemon(cfg: RegistryConfig, log: Logger): Promise<number> {
  const notifier = createNotifier(log);
  const registry = await startRegistry(cfg, log);
  const health = createHealthMonitor({ schedulerHeartbeat: () => Date.now(), maxSchedulerSilenceMs: () => Number.POSITIVE_INFINITY });
  const watchdog = startWatchdog(notifier, () => health.check(), log);
  notifier.ready(`${registry.store.size} Things; component ${registry.link.online ? "online" : "connecting"}`);
  log.info({ domain: cfg.domain, service: cfg.service, things: registry.store.size }, "thingd-registry ready");
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  log.info({ signal }, "stopping");
  notifier.stopping();
  watchdog.stop();
  health.stop();
  await registry.stop();
  notifier.close();
  return 0;
}
