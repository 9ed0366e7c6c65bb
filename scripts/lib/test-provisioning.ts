// Test infrastructure: a minimal XEP-0324 provisioning server as an XEP-0114 component on a
// test Prosody. Its answers to isFriend / canRead / canControl are programmable (`decide`),
// it records every question, and it can push <clearCache/> and send <friend/>/<unfriend/>.
// The component's own middleware is detached for the reason given in ./test-registry.ts.
import { component, xml } from "@xmpp/component";
import type { Element } from "@xmpp/xml";
import type { ProsodyServer } from "./local-prosody.js";

export const NS_PROVISIONING = "urn:xmpp:iot:provisioning";
const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

export interface Question {
  /** Full JID of the asking thing. */
  from: string;
  /** isFriend | canRead | canControl */
  name: string;
  /** The requester the thing asks about. */
  jid: string;
  /** nodeIds of the question's <node> children. */
  nodes: string[];
  /** <field name> (canRead) or <parameter name> (canControl) children. */
  names: string[];
  element: Element;
}

/** An answer; "silent" never answers (the thing's timeout applies). */
export type Decision = { result: boolean; nodes?: string[]; names?: string[] } | "silent";

export interface TestProvisioning {
  domain: string;
  /** Every question received, oldest first (mutable: tests may empty it). */
  questions: Question[];
  /** How questions are answered; default: deny everything. */
  decide: (q: Question) => Decision;
  waitForQuestion(predicate?: (q: Question) => boolean, timeoutMs?: number): Promise<Question>;
  /** IQ set <clearCache/> to the thing; resolves with its reply. */
  clearCache(thingFullJid: string): Promise<Element>;
  /** <message><friend|unfriend jid/></message> to the thing. */
  notify(thingFullJid: string, kind: "friend" | "unfriend", jid: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startProvisioning(server: ProsodyServer, opts: { domain?: string } = {}): Promise<TestProvisioning> {
  const domain = opts.domain ?? "provisioning.localhost";
  const configured = server.components.find((c) => c.domain === domain);
  if (!configured) throw new Error(`startProvisioning: component ${domain} is not configured in Prosody`);
  const entity = component({ service: `xmpp://127.0.0.1:${server.componentPort}`, domain, password: configured.secret });
  const listeners = entity.listeners("element");
  if (listeners.length !== 1) throw new Error(`startProvisioning: expected 1 'element' listener, found ${listeners.length}`);
  entity.removeListener("element", listeners[0] as (...args: unknown[]) => void);
  entity.on("error", () => {});

  const questions: Question[] = [];
  const changed = new Set<() => void>();
  const pending = new Map<string, (el: Element) => void>();
  let nextId = 0;
  const state: { decide: (q: Question) => Decision } = { decide: () => ({ result: false }) };

  const reply = (iq: Element, payload?: Element) =>
    entity.send(xml("iq", { type: "result", id: iq.attrs.id, to: iq.attrs.from, from: domain }, payload));
  const replyError = (iq: Element, condition: string) =>
    entity.send(xml("iq", { type: "error", id: iq.attrs.id, to: iq.attrs.from, from: domain }, xml("error", { type: "cancel" }, xml(condition, { xmlns: NS_STANZAS }))));

  const onQuestion = (iq: Element, q: Element) => {
    const names = q.getChildren(q.name === "canControl" ? "parameter" : "field").map((f) => f.attrs.name as string);
    const question: Question = {
      from: iq.attrs.from ?? "",
      name: q.name,
      jid: q.attrs.jid ?? "",
      nodes: q.getChildren("node").map((n) => n.attrs.nodeId as string),
      names,
      element: q,
    };
    questions.push(question);
    changed.forEach((w) => w());
    const d = state.decide(question);
    if (d === "silent") return;
    const item = q.name === "canControl" ? "parameter" : "field";
    void reply(
      iq,
      xml(
        `${q.name}Response`,
        { xmlns: NS_PROVISIONING, jid: question.jid, result: d.result ? "true" : "false" },
        ...(d.nodes ?? []).map((nodeId) => xml("node", { nodeId })),
        ...(d.names ?? []).map((name) => xml(item, { name })),
      ),
    );
  };

  entity.on("stanza", (stanza: Element) => {
    if (stanza.name !== "iq") return;
    const type = stanza.attrs.type;
    if (type === "result" || type === "error") {
      const resolve = pending.get(stanza.attrs.id ?? "");
      if (resolve) {
        pending.delete(stanza.attrs.id ?? "");
        resolve(stanza);
      }
      return;
    }
    const child = stanza.getChildElements()[0];
    if (!child) return void replyError(stanza, "bad-request");
    if (type === "get" && child.name === "query" && child.attrs.xmlns === NS_DISCO_INFO) {
      return void reply(stanza, xml("query", { xmlns: NS_DISCO_INFO }, xml("feature", { var: NS_PROVISIONING })));
    }
    if (type === "get" && child.attrs.xmlns === NS_PROVISIONING && ["isFriend", "canRead", "canControl"].includes(child.name)) {
      return onQuestion(stanza, child);
    }
    void replyError(stanza, "service-unavailable");
  });

  await entity.start();

  return {
    domain,
    questions,
    get decide() {
      return state.decide;
    },
    set decide(fn) {
      state.decide = fn;
    },
    waitForQuestion(predicate = () => true, waitMs = 10_000) {
      const now = questions.find(predicate);
      if (now) return Promise.resolve(now);
      return new Promise((resolve, reject) => {
        const check = () => {
          const q = questions.find(predicate);
          if (!q) return;
          clearTimeout(t);
          changed.delete(check);
          resolve(q);
        };
        const t = setTimeout(() => (changed.delete(check), reject(new Error(`TestProvisioning: no matching question within ${waitMs} ms`))), waitMs);
        changed.add(check);
      });
    },
    clearCache(thing) {
      const id = `prov-${++nextId}`;
      return new Promise<Element>((resolve, reject) => {
        const t = setTimeout(() => (pending.delete(id), reject(new Error(`TestProvisioning: no reply to clearCache from ${thing}`))), 10_000);
        pending.set(id, (el) => (clearTimeout(t), resolve(el)));
        entity.send(xml("iq", { type: "set", id, to: thing, from: domain }, xml("clearCache", { xmlns: NS_PROVISIONING }))).catch(reject);
      });
    },
    async notify(thing, kind, jid) {
      await entity.send(xml("message", { to: thing, from: domain }, xml(kind, { xmlns: NS_PROVISIONING, jid })));
    },
    async stop() {
      entity.reconnect.stop();
      await entity.stop().catch(() => {});
    },
  };
}
