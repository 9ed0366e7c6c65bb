// Session setup after SASL, for one connection: resource binding (RFC 6120 §7) and XEP-0198
// stream management. With `previous` resumable and the server offering urn:xmpp:sm:3, the stream
// resumes it (<resume/> instead of binding); otherwise it binds, sends <enable resume='true'/>
// and waits for <enabled/> before the session counts as online, and sends the lost session's
// replies that are still worth sending. While SM is on, every stanza sent through the entity
// goes through the SmSession (numbered, queued until acknowledged), so a stanza written to a
// connection that just died is not lost: it goes out again on the resumed stream.
// docs/reconnect.md "Stream management".
import type { Logger } from "pino";
import { xml, type Element } from "@xmpp/xml";
import type { Client } from "@xmpp/client-core";
import {
  buildAck,
  buildEnable,
  buildResume,
  isSm,
  NS_SM,
  parseAckH,
  parseEnabled,
  parseFailed,
  type Failed,
} from "../protocol/stream-management.js";
import { SmSession, type SmLink } from "./sm-session.js";

const NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind";

export interface StreamManagementOptions {
  /** The session of the connection before this one: resumed if possible, else its replies are replayed. */
  previous?: SmSession | undefined;
  log: Logger;
}

/** What session setup did on a connection (the supervisor reads it once the connection is online). */
export interface SessionSetup {
  /** The XEP-0198 session this connection carries, new or resumed; undefined without SM. */
  session: SmSession | undefined;
  /** The stream resumed `previous` (no bind, no new presence needed). */
  resumed: boolean;
  /** Stanzas written again after <resumed/> (the ones the server had not acknowledged). */
  resent: number;
  /** Resumption was tried and refused with this <failed/>. */
  failed?: Failed;
  /** Unacknowledged replies of the previous session sent again on this new one. */
  replayed: number;
  /** Send our last <a/> and end the session (a clean stop: the server will not keep it). */
  finish(): Promise<void>;
  /** This connection no longer carries the session (it is gone); idempotent. */
  detach(): void;
}

interface Parts {
  entity: Client;
  middleware: { use(fn: (ctx: any, next: () => Promise<unknown>) => unknown): void };
  log: Logger;
  service: string;
  sm: StreamManagementOptions | undefined;
}

function isStanza(el: Element): boolean {
  return el.name === "iq" || el.name === "message" || el.name === "presence";
}

/**
 * Wraps the entity's send path and counts what comes in. Call before anything else uses the
 * middleware (the count must see every stanza, also those the IQ caller consumes); then
 * `installBind` in place of @xmpp/resource-binding.
 */
export function setupSession({ entity, middleware, log, service, sm }: Parts) {
  const rawSend = entity.send.bind(entity);
  const rawSendMany = entity.sendMany.bind(entity);
  const link: SmLink = { write: (els) => (els.length === 1 ? rawSend(els[0]!) : rawSendMany(els)) };
  /** While <enable/> awaits its answer, stanzas wait too (their numbering starts with it). */
  let enabling: Promise<void> | undefined;

  const setup: SessionSetup = {
    session: undefined,
    resumed: false,
    resent: 0,
    replayed: 0,
    async finish() {
      const s = setup.session;
      if (!s || s.ended) return;
      if (s.carriedBy(link)) await rawSend(buildAck(s.inbound.h)).catch(() => undefined);
      s.end();
    },
    detach() {
      setup.session?.detach(link);
    },
  };
  const live = () => (setup.session && !setup.session.ended ? setup.session : undefined);

  entity.send = async (el: Element) => {
    if (enabling && isStanza(el)) await enabling;
    const s = live();
    return s && isStanza(el) ? s.send([el]) : rawSend(el);
  };
  entity.sendMany = async (els: Element[]) => {
    if (enabling) await enabling;
    const s = live();
    return s && els.every(isStanza) ? s.send(els) : rawSendMany(els);
  };
  entity.on("disconnect", () => setup.session?.detach(link));

  middleware.use((ctx: { stanza: Element }, next) => {
    const s = live();
    if (!s || !s.carriedBy(link)) return next();
    const el = ctx.stanza;
    if (isStanza(el)) {
      s.inbound.received();
      return next();
    }
    if (isSm(el, "r")) {
      rawSend(buildAck(s.inbound.h)).catch((err: unknown) => log.debug({ err }, "ack not written"));
      return undefined;
    }
    if (isSm(el, "a")) {
      const h = parseAckH(el);
      if (h === undefined) log.warn({ element: el.toString() }, "an <a/> without a valid h; ignored");
      else s.acknowledged(h);
      return undefined;
    }
    return next();
  });

  /**
   * Send a nonza and wait for the first SM answer named in `names`. `onAnswer` runs inside the
   * parser's event, before any element behind the answer in the same read: stanzas right after
   * <enabled/> or <resumed/> must already be counted.
   */
  const exchange = <T>(el: Element, names: ReadonlyArray<"enabled" | "resumed" | "failed">, onAnswer: (answer: Element) => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const onNonza = (answer: Element) => {
        if (answer.attrs.xmlns !== NS_SM || !names.includes(answer.name as "enabled")) return;
        done();
        try {
          resolve(onAnswer(answer));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      const onEnd = () => {
        done();
        reject(new Error(`the connection closed while waiting for <${names.join("/>, <")}/>`));
      };
      const done = () => {
        entity.off("nonza", onNonza);
        entity.off("disconnect", onEnd);
      };
      entity.on("nonza", onNonza);
      entity.on("disconnect", onEnd);
      rawSend(el).catch((err: unknown) => {
        done();
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });

  const resume = async (previous: SmSession): Promise<boolean> => {
    log.debug({ previd: previous.id, h: previous.inbound.h }, "resuming the stream");
    const { answer, resending } = await exchange(buildResume(previous.id!, previous.inbound.h), ["resumed", "failed"], (answer) => {
      if (!isSm(answer, "resumed")) return { answer, resending: undefined };
      setup.session = previous;
      setup.resumed = true;
      // Attaches, and writes what the server lacks, before any newer send.
      return { answer, resending: previous.resume(link, parseAckH(answer) ?? previous.outbound.acked) };
    });
    if (resending) {
      (entity as unknown as { _jid(jid: string): unknown })._jid(previous.jid);
      setup.resent = await resending;
      return true;
    }
    const failed = (setup.failed = parseFailed(answer));
    if (failed.h !== undefined) previous.acknowledged(failed.h);
    previous.end();
    log.info({ condition: failed.condition, h: failed.h }, "stream resumption refused; starting a new session");
    return false;
  };

  const enable = async (jid: string): Promise<void> => {
    let open: () => void = () => {};
    enabling = new Promise<void>((resolve) => (open = resolve));
    try {
      const answer = await exchange(buildEnable(), ["enabled", "failed"], (answer) => {
        if (isSm(answer, "enabled")) {
          const session = new SmSession({ enabled: parseEnabled(answer), jid, service, log });
          session.attach(link);
          setup.session = session;
        }
        return answer;
      });
      const session = setup.session;
      if (session) {
        log.debug({ id: session.id, resume: session.id !== undefined, maxMs: session.maxMs, location: session.location }, "stream management enabled");
      } else {
        log.warn({ condition: parseFailed(answer).condition }, "the server refused to enable stream management");
      }
    } finally {
      enabling = undefined;
      open();
    }
  };

  const installBind = (
    streamFeatures: { use(name: string, ns: string, fn: (ctx: any, next: () => unknown, feature: Element) => unknown): void },
    iqCaller: { set(el: Element): Promise<Element> },
    resource: string,
  ): void => {
    streamFeatures.use("bind", NS_BIND, async (ctx: { stanza: Element }) => {
      const offered = sm !== undefined && ctx.stanza.getChild("sm", NS_SM) !== undefined;
      const previous = sm?.previous;
      const ready = () => (entity as unknown as { _ready(resumed: boolean): void })._ready(false);
      if (offered && previous && previous.whyNotResumable() === undefined && (await resume(previous))) return ready();
      const bound = await iqCaller.set(xml("bind", { xmlns: NS_BIND }, xml("resource", {}, resource)));
      const jid = bound.getChildText("jid") ?? "";
      (entity as unknown as { _jid(jid: string): unknown })._jid(jid);
      if (offered) await enable(jid);
      if (previous && !previous.ended) {
        log.debug({ reason: offered ? previous.whyNotResumable() : "the server does not offer stream management" }, "previous stream not resumed");
        previous.end();
      }
      const replay = previous?.takeReplay() ?? [];
      if (replay.length > 0) {
        setup.replayed = replay.length;
        await entity.sendMany(replay);
        log.info({ count: replay.length }, "replies of the lost session sent again on the new one");
      }
      ready();
    });
  };

  return { setup, installBind };
}
