// A small XEP-0323 reading client (the demo's and the end-to-end tests' reader). It speaks
// raw stanzas over the same verified-TLS connection code the agent uses.
import { xml, type Element } from "@xmpp/xml";
import { createConnection, type XmppConnection } from "../../agent/transport/connection.js";
import { NS_SENSORDATA } from "../../agent/protocol/ns.js";

export interface ReaderOptions {
  service: string;
  domain: string;
  jid: string;
  password: string;
  resource?: string;
  ca?: string;
}

export interface ReadField {
  node: string;
  timestamp: string;
  element: string;
  name: string;
  value: string;
  unit?: string;
  flags: string[];
}

export interface ReadResult {
  /** The IQ reply (result with <accepted>, or error). */
  reply: Element;
  /** Messages for this seqnr, in arrival order, up to and including the one with done='true'. */
  messages: Element[];
  fields: ReadField[];
  failures: Array<{ nodeId: string; message: string }>;
}

let counter = 0;

export class ReaderClient {
  readonly #waiters = new Set<(el: Element) => boolean>();

  private constructor(readonly conn: XmppConnection) {
    conn.entity.on("stanza", (el: Element) => {
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

  /** A readout: <req> with `attrs` and `children`, collecting messages until done. */
  async read(to: string, attrs: Record<string, string>, children: Element[] = [], timeoutMs = 10_000): Promise<ReadResult> {
    const seqnr = attrs.seqnr ?? String(++counter);
    const messages: Element[] = [];
    let finish: () => void = () => {};
    const done = new Promise<void>((resolve) => (finish = resolve));
    const collect = (el: Element) => {
      if (el.name !== "message") return false;
      const payload = el.getChildElements().find((c) => c.getNS() === NS_SENSORDATA && c.attrs.seqnr === seqnr);
      if (!payload) return false;
      messages.push(el);
      if (payload.attrs.done === "true" || payload.name === "done") {
        finish();
        return true;
      }
      return false;
    };
    this.#waiters.add(collect);
    try {
      const reply = await this.iq(xml("iq", { type: "get", to }, xml("req", { xmlns: NS_SENSORDATA, ...attrs, seqnr }, ...children)), timeoutMs);
      if (reply.attrs.type === "result") {
        await Promise.race([
          done,
          new Promise((_, reject) => setTimeout(() => reject(new Error(`readout ${seqnr}: no done after ${timeoutMs} ms`)), timeoutMs)),
        ]);
      }
      return { reply, messages, ...parseMessages(messages) };
    } finally {
      this.#waiters.delete(collect);
    }
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
