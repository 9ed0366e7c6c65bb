// A small sensor-data reading client (the demo's and the end-to-end tests' reader), in either
// dialect: XEP-0323 seqnr ('xep') or the IEEE id-based successor ('ieee', docs/protocol.md §1.8).
// It speaks raw stanzas over the same verified-TLS connection code the agent uses.
import { xml, type Element } from "@xmpp/xml";
import { createConnection, type XmppConnection } from "../../agent/transport/connection.js";
import { NS_IEEE_SENSORDATA, NS_SENSORDATA } from "../../agent/protocol/ns.js";
import { parseIeeeResp, type IeeeReadField } from "../../agent/protocol/ieee-sensordata.js";

export type Dialect = "xep" | "ieee";

export interface DialectOptions {
  /** Default 'xep'. */
  dialect?: Dialect;
  /** IEEE namespace to speak (default urn:ieee:iot:sd:1.0); ignored for 'xep'. */
  ns?: string;
}

/** A dialect-neutral readout request, written as <req> attributes/children per dialect. */
export interface ReadoutSpec {
  /** seqnr or id; generated when absent. */
  id?: string;
  /** Field types (seqnr-dialect names: momentary, identity, status, computed, peak, historical); none = all. */
  types?: string[];
  nodes?: string[];
  fields?: string[];
  when?: string;
}

const SHORT: Record<string, string> = { momentary: "m", peak: "p", status: "s", computed: "c", identity: "i", historical: "h", all: "all" };

/** The <req> a spec asks for, in the given dialect. */
export function buildReq(spec: ReadoutSpec, o: DialectOptions = {}): Element {
  const id = spec.id ?? String(++counter);
  if ((o.dialect ?? "xep") === "xep") {
    const attrs: Record<string, string> = { xmlns: NS_SENSORDATA, seqnr: id };
    for (const t of spec.types ?? []) attrs[t] = "true";
    if (spec.when) attrs.when = spec.when;
    return xml("req", attrs, ...(spec.nodes ?? []).map((n) => xml("node", { nodeId: n })), ...(spec.fields ?? []).map((n) => xml("field", { name: n })));
  }
  const attrs: Record<string, string> = { xmlns: o.ns ?? NS_IEEE_SENSORDATA, id };
  for (const t of spec.types ?? []) attrs[SHORT[t] ?? t] = "true";
  if (spec.when) attrs.when = spec.when;
  return xml("req", attrs, ...(spec.nodes ?? []).map((n) => xml("nd", { id: n })), ...(spec.fields ?? []).map((n) => xml("f", { n })));
}

export interface ReaderOptions {
  service: string;
  domain: string;
  jid: string;
  password: string;
  resource?: string;
  ca?: string;
}

/** One field as read, in either dialect (element names and flags as the dialect writes them). */
export type ReadField = IeeeReadField;

export interface ReadResult {
  /** The IQ reply (result with <accepted>, or error). */
  reply: Element;
  /** Messages for this seqnr/id, in arrival order, up to and including the last one. */
  messages: Element[];
  fields: ReadField[];
  failures: Array<{ nodeId: string; message: string }>;
}

let counter = 0;

export class ReaderClient {
  readonly #waiters = new Set<(el: Element) => boolean>();
  /** Every stanza received, in order (tests check that nothing came for a cancelled id). */
  readonly received: Element[] = [];

  private constructor(readonly conn: XmppConnection) {
    conn.entity.on("stanza", (el: Element) => {
      this.received.push(el);
      for (const w of [...this.#waiters]) if (w(el)) this.#waiters.delete(w);
    });
    conn.entity.on("error", () => {});
  }

  static async connect(o: ReaderOptions): Promise<ReaderClient> {
    const conn = createConnection({
      service: o.service,
      domain: o.domain,
      jid: o.jid,
      password: o.password,
      resource: o.resource ?? `reader-${process.pid}`,
      tlsRequired: true,
      ...(o.ca ? { ca: o.ca } : {}),
    });
    const client = new ReaderClient(conn);
    await conn.entity.start();
    await conn.entity.send(xml("presence", {}));
    return client;
  }

  get jid(): string {
    return this.conn.entity.jid?.toString() ?? "";
  }

  /** Wait for a stanza matching `predicate`. */
  waitFor(predicate: (el: Element) => boolean, timeoutMs = 10_000): Promise<Element> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a stanza`));
      }, timeoutMs);
      const check = (el: Element) => {
        if (!predicate(el)) return false;
        clearTimeout(t);
        resolve(el);
        return true;
      };
      this.#waiters.add(check);
    });
  }

  /** Send an IQ and resolve with the reply stanza, result or error alike. */
  async iq(stanza: Element, timeoutMs = 10_000): Promise<Element> {
    const id = (stanza.attrs.id ??= `r${++counter}`);
    const reply = this.waitFor((el) => el.name === "iq" && el.attrs.id === id && (el.attrs.type === "result" || el.attrs.type === "error"), timeoutMs);
    await this.conn.entity.send(stanza);
    return reply;
  }

  /**
   * A readout: <req> with `attrs` and `children` (in the dialect's own attribute names),
   * collecting messages until done ('xep': done='true'; 'ieee': a <resp> without more, or <done>).
   */
  async read(
    to: string,
    attrs: Record<string, string>,
    children: Element[] = [],
    timeoutMs = 10_000,
    o: DialectOptions = {},
  ): Promise<ReadResult> {
    const ieee = (o.dialect ?? "xep") === "ieee";
    const ns = ieee ? (o.ns ?? NS_IEEE_SENSORDATA) : NS_SENSORDATA;
    const idAttr = ieee ? "id" : "seqnr";
    const id = attrs[idAttr] ?? String(++counter);
    const messages: Element[] = [];
    let finish: () => void = () => {};
    const done = new Promise<void>((resolve) => (finish = resolve));
    const isLast = (payload: Element) =>
      ieee ? (payload.name === "resp" && payload.attrs.more !== "true") || payload.name === "done" : payload.attrs.done === "true" || payload.name === "done";
    const collect = (el: Element) => {
      if (el.name !== "message") return false;
      const payload = el.getChildElements().find((c) => c.getNS() === ns && c.attrs[idAttr] === id);
      if (!payload) return false;
      messages.push(el);
      if (isLast(payload)) {
        finish();
        return true;
      }
      return false;
    };
    this.#waiters.add(collect);
    try {
      const reply = await this.iq(xml("iq", { type: "get", to }, xml("req", { xmlns: ns, ...attrs, [idAttr]: id }, ...children)), timeoutMs);
      // IEEE fast path: the data is the IQ result's own <resp>.
      const inline = ieee ? reply.getChild("resp", ns) : undefined;
      if (reply.attrs.type === "result" && !(inline && isLast(inline))) {
        await Promise.race([
          done,
          new Promise((_, reject) => setTimeout(() => reject(new Error(`readout ${id}: no end after ${timeoutMs} ms`)), timeoutMs)),
        ]);
      }
      return { reply, messages, ...(ieee ? parseIeeeMessages(inline ? [reply, ...messages] : messages, ns) : parseMessages(messages)) };
    } finally {
      this.#waiters.delete(collect);
    }
  }

  /** A readout from a dialect-neutral spec (the same scenario in either dialect). */
  readout(to: string, spec: ReadoutSpec, o: DialectOptions = {}, timeoutMs = 10_000): Promise<ReadResult> {
    const req = buildReq(spec, o);
    const { xmlns: _ns, ...attrs } = req.attrs as Record<string, string>;
    return this.read(to, attrs, req.getChildElements(), timeoutMs, o);
  }

  /** Send a readout request and return its IQ reply without waiting for data. */
  request(to: string, spec: ReadoutSpec & { id: string }, o: DialectOptions = {}, timeoutMs = 10_000): Promise<Element> {
    return this.iq(xml("iq", { type: "get", to }, buildReq(spec, o)), timeoutMs);
  }

  /** Cancel a readout: 'xep' as IQ get (as slixmpp does), 'ieee' as IQ set. */
  cancel(to: string, id: string, o: DialectOptions = {}): Promise<Element> {
    if ((o.dialect ?? "xep") === "xep") return this.iq(xml("iq", { type: "get", to }, xml("cancel", { xmlns: NS_SENSORDATA, seqnr: id })));
    return this.iq(xml("iq", { type: "set", to }, xml("cancel", { xmlns: o.ns ?? NS_IEEE_SENSORDATA, id })));
  }

  async stop(): Promise<void> {
    try {
      await this.conn.entity.stop();
    } catch {
      this.conn.entity.socket?.destroy?.();
    }
  }
}

export function parseMessages(messages: Element[]): Pick<ReadResult, "fields" | "failures"> {
  const fields: ReadField[] = [];
  const failures: ReadResult["failures"] = [];
  for (const m of messages) {
    for (const f of m.getChildren("fields", NS_SENSORDATA)) {
      for (const node of f.getChildren("node")) {
        for (const ts of node.getChildren("timestamp")) {
          for (const el of ts.getChildElements()) {
            const flags = Object.entries(el.attrs).filter(([, v]) => v === "true").map(([k]) => k);
            fields.push({
              node: node.attrs.nodeId ?? "",
              timestamp: ts.attrs.value ?? "",
              element: el.name,
              name: el.attrs.name ?? "",
              value: el.attrs.value ?? "",
              ...(el.attrs.unit !== undefined ? { unit: el.attrs.unit } : {}),
              flags,
            });
          }
        }
      }
    }
    for (const f of m.getChildren("failure", NS_SENSORDATA)) {
      for (const e of f.getChildren("error")) failures.push({ nodeId: e.attrs.nodeId ?? "", message: e.text() });
    }
  }
  return { fields, failures };
}

/** Fields and errors of every <resp> in `stanzas` (messages, or an IQ result carrying one). */
export function parseIeeeMessages(stanzas: Element[], ns: string = NS_IEEE_SENSORDATA): Pick<ReadResult, "fields" | "failures"> {
  const fields: ReadField[] = [];
  const failures: ReadResult["failures"] = [];
  for (const st of stanzas) {
    for (const resp of st.getChildren("resp", ns)) {
      const r = parseIeeeResp(resp);
      for (const f of r.fields) {
        fields.push({ node: f.node, timestamp: f.timestamp, element: f.element, name: f.name, value: f.value, ...(f.unit !== undefined ? { unit: f.unit } : {}), flags: f.flags });
      }
      for (const e of r.errors) failures.push({ nodeId: e.nodeId, message: e.message });
    }
  }
  return { fields, failures };
}
