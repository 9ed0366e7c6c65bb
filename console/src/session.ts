// One logged-in console: the XMPP connection (WebSocket, @xmpp/client), the roster and presence
// that say which Things are "mine" and online, and per Thing the latest values: by an IEEE event
// subscription when the Thing advertises one, else by a momentary readout every `pollMs`.
// The Thing Registry (given, or found on the user's domain) adds the Things it says are ours
// (./registry.ts) and takes disowns; status and identity fields are re-read every `statusMs`.
import { client, type Client } from "@xmpp/client";
import { xml, type Element } from "@xmpp/xml";
import { NS_CONTROL, NS_DISCO_INFO, NS_ROSTER, NS_SENSORDATA, NS_STANZAS } from "../../agent/protocol/ns.js";
import { buildReadoutIq, buildSubscribeIq, NS_EVENTS, parseEventMessage, parseReadoutMessage, type NodeFailure, type ReadField, type ReadoutOptions } from "./readout.js";
import { buildSetIq, refusalReason } from "./control.js";
import { buildDiscoInfoIq, buildDiscoItemsIq, isRegistryInfo, parseDiscoItems } from "../../agent/protocol/disco.js";
import { buildDisownIq, buildOwnedListIq, parseOwnedList } from "./registry.js";

export interface ThingView {
  jid: string;
  /** Full JID of the resource answering readouts (from presence). */
  full?: string;
  name?: string;
  online: boolean;
  /** In our roster (a contact), so we hear its presence and may read it. */
  inRoster: boolean;
  /** The registry lists it as ours; undefined when no registry was asked. */
  owned?: boolean;
  /** The registry's summary of it (tags). */
  registryLabel?: string;
  /** From disco#info; undefined until asked. */
  features?: Set<string>;
  isThing?: boolean;
  /** node id → field name → latest value */
  nodes: Map<string, Map<string, ReadField>>;
  failures: Map<string, NodeFailure>;
  lastUpdate?: number;
  live: "events" | "polling" | "off";
  /** Id of our event subscription (pushes carry it). */
  subscription?: string;
  /** Whether our XEP-0325 sets are accepted (probed once), and why not. */
  canControl?: boolean;
  controlRefusal?: string;
  /** A poll is in flight (the next tick skips this Thing). */
  busy?: boolean;
  error?: string;
}

export interface LoginOptions {
  service: string;
  jid: string;
  password: string;
  pollMs?: number;
  /** The Thing Registry's JID; empty or absent: look for one on the user's domain. */
  registry?: string;
  /** How often status and identity fields are read again (ms). */
  statusMs?: number;
}

export class LoginError extends Error {
  override name = "LoginError";
}

const bare = (jid: string) => jid.split("/")[0] ?? jid;
let counter = 0;
let seqCounter = Math.floor(Math.random() * 1_000_000);
const nextId = (p: string) => `${p}${Date.now().toString(36)}${++counter}`;

/**
 * Events: "change" — detail: the bare JID of the one Thing whose view changed, or undefined
 * when anything may have (the list of Things, the registry); "problem" (detail: a message);
 * "offline".
 */
export class Session extends EventTarget {
  readonly things = new Map<string, ThingView>();
  readonly #xmpp: Client;
  readonly #pending = new Map<string, (el: Element) => void>();
  readonly #readouts = new Map<string, (el: Element) => boolean>();
  readonly #pollMs: number;
  #timer: number | undefined;
  #statusTimer: number | undefined;
  /** The registry in use, once known. */
  registry: string | undefined;
  /** Why there is no registry, or why it could not list our Things. */
  registryProblem: string | undefined;

  private constructor(xmpp: Client, pollMs: number) {
    super();
    this.#xmpp = xmpp;
    this.#pollMs = pollMs;
    xmpp.on("stanza", (el: Element) => this.#onStanza(el));
    xmpp.on("error", (err: Error) => this.#emit("problem", err.message));
    xmpp.on("offline", () => this.#emit("offline"));
    // Roster pushes (RFC 6121 §2.1.6); other requests get @xmpp/client's service-unavailable.
    xmpp.iqCallee.set(NS_ROSTER, "query", (ctx) => {
      for (const item of ctx.element.getChildren("item")) {
        if (!item.attrs.jid) continue;
        if (item.attrs.subscription === "remove") this.#leaveRoster(item.attrs.jid);
        else this.#thing(item.attrs.jid).inRoster = true;
      }
      this.#emit("change");
      return true;
    });
  }

  get jid(): string {
    return this.#xmpp.jid?.bare().toString() ?? "";
  }

  static async login(o: LoginOptions): Promise<Session> {
    const at = o.jid.indexOf("@");
    if (at <= 0 || at === o.jid.length - 1) throw new LoginError("enter a JID like owner@example.org");
    const [local, domainPart = ""] = [o.jid.slice(0, at), o.jid.slice(at + 1)];
    const domain = domainPart.split("/")[0] ?? domainPart;
    const xmpp = client({ service: o.service, domain, username: local, password: o.password, resource: `console-${Math.random().toString(36).slice(2, 8)}` });
    xmpp.reconnect.stop();
    const s = new Session(xmpp, o.pollMs ?? 2_000);
    try {
      await xmpp.start();
    } catch (err) {
      await xmpp.stop().catch(() => {});
      throw new LoginError(describeLoginError(err));
    }
    await s.#loadRoster();
    await xmpp.send(xml("presence", {}));
    s.#timer = window.setInterval(() => s.#pollAll(), s.#pollMs);
    s.#statusTimer = window.setInterval(() => s.#statusAll(), o.statusMs ?? 30_000);
    // The registry is a help, not a condition: without one the roster still lists the Things.
    await s.#useRegistry(o.registry?.trim() ?? "", domain).catch((err: Error) => {
      s.registryProblem = err.message;
      s.#emit("change");
    });
    return s;
  }

  async logout(): Promise<void> {
    window.clearInterval(this.#timer);
    window.clearInterval(this.#statusTimer);
    await this.#xmpp.stop().catch(() => {});
  }

  /** Send an IQ; resolve with the reply (result or error). */
  iq(stanza: Element, timeoutMs = 15_000): Promise<Element> {
    const id = (stanza.attrs.id ??= nextId("c"));
    return new Promise((resolve, reject) => {
      const t = window.setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`no answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.#pending.set(id, (el) => {
        window.clearTimeout(t);
        resolve(el);
      });
      this.#xmpp.send(stanza).catch((err: Error) => {
        window.clearTimeout(t);
        this.#pending.delete(id);
        reject(err);
      });
    });
  }

  /** A whole readout (seqnr dialect): accepted, then messages until done. */
  async readout(to: string, o: ReadoutOptions, timeoutMs = 20_000): Promise<{ fields: ReadField[]; failures: NodeFailure[] }> {
    // XEP-0323's seqnr is an xs:int.
    const seqnr = String((seqCounter = (seqCounter % 2_000_000_000) + 1));
    const fields: ReadField[] = [];
    const failures: NodeFailure[] = [];
    let finish: () => void = () => {};
    const done = new Promise<void>((r) => (finish = r));
    this.#readouts.set(seqnr, (msg) => {
      const part = parseReadoutMessage(msg, seqnr);
      if (!part) return false;
      fields.push(...part.fields);
      failures.push(...part.failures);
      if (part.done) finish();
      return true;
    });
    try {
      const reply = await this.iq(buildReadoutIq(to, seqnr, o), timeoutMs);
      if (reply.attrs.type === "error") throw new Error(refusalReason(reply));
      let t: number | undefined;
      await Promise.race([done, new Promise((_, rej) => (t = window.setTimeout(() => rej(new Error("readout did not finish")), timeoutMs)))]);
      window.clearTimeout(t);
      return { fields, failures };
    } finally {
      this.#readouts.delete(seqnr);
    }
  }

  /** XEP-0325: set one parameter. Resolves with null on success, else the refusal reason. */
  async set(thing: ThingView, node: string, field: ReadField, value: string): Promise<string | null> {
    const to = thing.full ?? thing.jid;
    const reply = await this.iq(buildSetIq(to, node, field.kind, field.name, value));
    if (reply.attrs.type === "error") {
      const reason = refusalReason(reply);
      if (/^forbidden/.test(reason)) {
        thing.canControl = false;
        thing.controlRefusal = reason;
        this.#changed(thing);
      }
      return reason;
    }
    await this.#refresh(thing, ["momentary"]).catch(() => {});
    return null;
  }

  /** Add a Thing by JID: roster item + presence subscription. */
  async addContact(jid: string): Promise<void> {
    const b = bare(jid.trim());
    await this.iq(xml("iq", { type: "set" }, xml("query", { xmlns: NS_ROSTER }, xml("item", { jid: b }))));
    this.#thing(b).inRoster = true;
    await this.#xmpp.send(xml("presence", { type: "subscribe", to: b }));
    this.#emit("change");
  }

  async removeContact(jid: string): Promise<void> {
    const reply = await this.iq(xml("iq", { type: "set" }, xml("query", { xmlns: NS_ROSTER }, xml("item", { jid, subscription: "remove" }))));
    if (reply.attrs.type === "error") throw new Error(refusalReason(reply));
    this.#leaveRoster(jid);
    this.#emit("change");
  }

  /** Ask the registry which Things are ours; they join the list (marked `owned`). */
  async refreshOwned(): Promise<void> {
    const registry = this.registry;
    if (!registry) return;
    const things = parseOwnedList(await this.iq(buildOwnedListIq(registry)));
    const mine = new Map(things.map((t) => [bare(t.jid), t.label]));
    for (const t of [...this.things.values()]) {
      if (mine.has(t.jid)) continue;
      t.owned = false;
      delete t.registryLabel;
      if (!t.inRoster) this.things.delete(t.jid);
    }
    for (const [jid, label] of mine) {
      const t = this.#thing(jid);
      t.owned = true;
      t.registryLabel = label;
    }
    delete this.registryProblem;
    this.#emit("change");
  }

  /** XEP-0347 disown: the registry has the Thing acknowledge, then it is claimable again. */
  async disown(t: ThingView): Promise<void> {
    if (!this.registry) throw new Error("no Thing Registry");
    const reply = await this.iq(buildDisownIq(this.registry, t.jid));
    if (reply.attrs.type === "error") throw new Error(refusalReason(reply));
    t.owned = false;
    delete t.registryLabel;
    if (!t.inRoster) this.things.delete(t.jid);
    this.#emit("change");
  }

  /** Read the status and identity fields of one Thing again. */
  refreshStatus(t: ThingView): Promise<void> {
    return this.#refresh(t, ["status", "identity"]);
  }

  sendRaw(el: Element): Promise<void> {
    return this.#xmpp.send(el);
  }

  #emit(type: string, detail?: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** Only this Thing's view changed: "change" with its bare JID (a pushed value, presence, an error). */
  #changed(t: ThingView): void {
    this.#emit("change", t.jid);
  }

  #thing(jid: string): ThingView {
    let t = this.things.get(jid);
    if (!t) {
      t = { jid, online: false, inRoster: false, nodes: new Map(), failures: new Map(), live: "off" };
      this.things.set(jid, t);
    }
    return t;
  }

  async #loadRoster(): Promise<void> {
    const reply = await this.iq(xml("iq", { type: "get" }, xml("query", { xmlns: NS_ROSTER })));
    for (const item of reply.getChild("query", NS_ROSTER)?.getChildren("item") ?? []) {
      if (!item.attrs.jid) continue;
      const t = this.#thing(item.attrs.jid);
      t.inRoster = true;
      if (item.attrs.name) t.name = item.attrs.name;
    }
    this.#emit("change");
  }

  /** Out of the roster: gone from the list, unless the registry says it is ours. */
  #leaveRoster(jid: string): void {
    const t = this.things.get(jid);
    if (!t) return;
    if (!t.owned) {
      this.things.delete(jid);
      return;
    }
    t.inRoster = false;
    t.online = false;
    t.live = "off";
    delete t.full;
  }

  /** The given registry, else the first item of the domain's disco#items that is one (as thingd looks). */
  async #useRegistry(given: string, domain: string): Promise<void> {
    if (given) this.registry = given;
    else {
      const items = parseDiscoItems(await this.iq(buildDiscoItemsIq(domain)));
      for (const jid of items) {
        const info = await this.iq(buildDiscoInfoIq(jid)).catch(() => undefined);
        if (info && info.attrs.type === "result" && isRegistryInfo(info)) {
          this.registry = jid;
          break;
        }
      }
      if (!this.registry) throw new Error(`${domain} lists no Thing Registry (disco#items); enter its address at login`);
    }
    this.#emit("change");
    await this.refreshOwned();
  }

  #onStanza(el: Element): void {
    if (el.name === "iq" && (el.attrs.type === "result" || el.attrs.type === "error")) {
      const cb = el.attrs.id ? this.#pending.get(el.attrs.id) : undefined;
      if (cb && el.attrs.id) {
        this.#pending.delete(el.attrs.id);
        cb(el);
      }
      return;
    }
    if (el.name === "presence") return this.#onPresence(el);
    if (el.name === "message") {
      for (const take of this.#readouts.values()) if (take(el)) return;
      const from = el.attrs.from ? bare(el.attrs.from) : "";
      const t = this.things.get(from);
      if (t?.live === "events" && t.subscription) {
        const part = parseEventMessage(el, t.subscription);
        if (part) this.#apply(t, part.fields, part.failures);
      }
    }
  }

  #onPresence(el: Element): void {
    const from = el.attrs.from;
    if (!from) return;
    const b = bare(from);
    const type = el.attrs.type;
    if (type === "subscribe") {
      // Approve Things we added ourselves (they are in the roster), e.g. after a claim.
      if (this.things.get(b)?.inRoster) void this.#xmpp.send(xml("presence", { type: "subscribed", to: b })).catch(() => {});
      return;
    }
    const t = this.things.get(b);
    if (!t || !t.inRoster || b === this.jid) return;
    if (type === "unavailable") {
      if (t.full === from) {
        t.online = false;
        t.live = "off";
        delete t.full;
      }
      this.#changed(t);
      return;
    }
    if (type !== undefined) return;
    const fresh = t.full !== from;
    t.online = true;
    t.full = from;
    this.#changed(t);
    if (fresh) void this.#discover(t).catch((err: Error) => this.#fail(t, err));
  }

  async #discover(t: ThingView): Promise<void> {
    const to = t.full ?? t.jid;
    const info = await this.iq(xml("iq", { type: "get", to }, xml("query", { xmlns: NS_DISCO_INFO })));
    const q = info.getChild("query", NS_DISCO_INFO);
    t.features = new Set((q?.getChildren("feature") ?? []).map((f) => f.attrs.var ?? ""));
    t.isThing = t.features.has(NS_SENSORDATA);
    const identity = q?.getChild("identity")?.attrs.name;
    if (identity && !t.name) t.name = identity;
    this.#changed(t);
    if (!t.isThing) return;
    if (t.features.has(NS_CONTROL)) await this.#probeControl(t);
    // A failed first readout is shown on the card; polling goes on regardless.
    await this.#refresh(t, ["momentary"]).catch((err: Error) => this.#fail(t, err));
    // Apart: a status-only readout is answered without reading the sensors, so a failing node
    // still reports its error count (a mixed one answers such a node with its failure only).
    await this.refreshStatus(t).catch((err: Error) => this.#fail(t, err));
    if (t.features.has(NS_EVENTS)) {
      const id = nextId("e");
      const reply = await this.iq(buildSubscribeIq(to, id));
      if (reply.attrs.type === "result") {
        t.subscription = id;
        t.live = "events";
        this.#changed(t);
        return;
      }
    }
    t.live = "polling";
    this.#changed(t);
  }

  /**
   * May we control it? XEP-0325 has no query for that, but the Thing checks who asks before it
   * looks up nodes: a set on a node that does not exist answers forbidden to readers and
   * item-not-found to the owner and controllers, without changing anything.
   */
  async #probeControl(t: ThingView): Promise<void> {
    const reply = await this.iq(buildSetIq(t.full ?? t.jid, "thingd-console-probe", "boolean", "probe", "false"));
    const condition = reply.getChild("error")?.getChildElements().find((c) => c.getNS() === NS_STANZAS && c.name !== "text")?.name;
    t.canControl = reply.attrs.type === "result" || condition === "item-not-found";
    if (t.canControl) delete t.controlRefusal;
    else t.controlRefusal = refusalReason(reply);
  }

  #pollAll(): void {
    for (const t of this.things.values()) {
      if (t.live !== "polling" || !t.online || t.busy) continue;
      t.busy = true;
      void this.#refresh(t, ["momentary"])
        .catch((err: Error) => this.#fail(t, err))
        .finally(() => (t.busy = false));
    }
  }

  #statusAll(): void {
    for (const t of this.things.values()) {
      if (!t.online || !t.isThing || t.busy) continue;
      this.refreshStatus(t).catch((err: Error) => this.#fail(t, err));
    }
  }

  async #refresh(t: ThingView, types: string[]): Promise<void> {
    const r = await this.readout(t.full ?? t.jid, { types });
    delete t.error;
    this.#apply(t, r.fields, r.failures);
  }

  #apply(t: ThingView, fields: ReadField[], failures: NodeFailure[]): void {
    const seen = new Set<string>();
    for (const f of fields) {
      let node = t.nodes.get(f.node);
      if (!node) t.nodes.set(f.node, (node = new Map()));
      node.set(f.name, f);
      seen.add(f.node);
    }
    for (const n of seen) t.failures.delete(n);
    for (const e of failures) t.failures.set(e.node, e);
    t.lastUpdate = Date.now();
    this.#changed(t);
  }

  #fail(t: ThingView, err: Error): void {
    t.error = err.message;
    this.#changed(t);
  }

  /** A request the view made for `t` failed: shown on its card at once. */
  reportError(t: ThingView, err: Error): void {
    this.#fail(t, err);
  }

  /** Whether the Thing takes XEP-0325 sets at all (it may still refuse ours). */
  static controllable(t: ThingView): boolean {
    return t.features?.has(NS_CONTROL) ?? false;
  }
}

function describeLoginError(err: unknown): string {
  const e = err as { condition?: string; name?: string; message?: string };
  if (e.condition === "not-authorized" || e.name === "SASLError") return "Wrong JID or password (the server said not-authorized).";
  if (/WebSocket|ECONNREFUSED|socket/i.test(e.message ?? "")) return `Cannot reach the WebSocket endpoint: ${e.message ?? ""}`;
  return e.message ? `Login failed: ${e.message}` : "Login failed.";
}
