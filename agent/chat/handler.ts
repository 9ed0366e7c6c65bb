// Chat with people (docs/people.md "Chat"): a chat or normal message with a body from someone
// allowed to read gets a plain-text answer to each of its lines. Strangers get one short
// refusal per window and nothing else; nobody gets replies faster than their token bucket
// allows. Never answered: our own account, groupchat, headline, error or body-less messages
// (no loops with other bots or with our own pushes).
import type { Logger } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { bareJid } from "../access/bare-jid.js";
import { RateLimiter, type BucketPolicy } from "../access/rate-limit.js";
import { ProtocolError } from "../errors.js";
import { LIVE_TYPES, MOMENTARY, type NodeOutcome, type PeopleQuery, type ThingApi } from "../people/thing-api.js";
import { formatMenu, formatParameters, formatReadout, formatStatusText, valueWithUnit } from "./format.js";
import { parseBody, splitTarget, type ChatCommand } from "./parse.js";

export const STRANGER_REPLY = "Sorry, I only answer people I know.";
/** One refusal per stranger per window. */
export const REFUSAL_WINDOW_MS = 10 * 60_000;
/** Replies per person: a burst of 20, then one every 2 s. */
export const CHAT_BUCKET: BucketPolicy = { perSecond: 0.5, burst: 20 };

export interface ChatOptions {
  api: ThingApi;
  send(stanza: Element): Promise<unknown>;
  /** The Thing's own bare JID (its own messages are never answered). */
  ownJid(): string;
  log: Logger;
  now?: () => number;
}

/** Whether a message is one a person typed to us (the loop guards of this file's header). */
export function isChatFromPerson(stanza: Element, ownBare: string): boolean {
  if (stanza.name !== "message") return false;
  const type = stanza.attrs.type ?? "normal";
  if (type !== "chat" && type !== "normal") return false;
  const from = stanza.attrs.from;
  if (!from || bareJid(from) === "" || bareJid(from) === ownBare.toLowerCase()) return false;
  if (!bareJid(from).includes("@")) return false; // servers and components are not people
  const body = stanza.getChildText("body");
  return typeof body === "string" && body.trim() !== "";
}

export class ChatService {
  readonly #limiter: RateLimiter;
  readonly #refused = new Map<string, number>();
  readonly #now: () => number;

  constructor(private readonly o: ChatOptions) {
    this.#now = o.now ?? Date.now;
    this.#limiter = new RateLimiter({ maxBuckets: 1000, now: this.#now });
  }

  /** True when the message was a chat message for us (answered or deliberately not). */
  async handleMessage(stanza: Element): Promise<boolean> {
    if (!isChatFromPerson(stanza, this.o.ownJid())) return false;
    const from = stanza.attrs.from!;
    const bare = bareJid(from);
    const body = stanza.getChildText("body") ?? "";
    let allowed: PeopleQuery | undefined;
    try {
      allowed = await this.o.api.authorizeRead(from, { types: MOMENTARY, nodes: [], fieldNames: new Set() });
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
    }
    // Controllers who are not readers may still chat (to switch outputs).
    if (!allowed && !(await this.o.api.mayControl(from))) {
      const last = this.#refused.get(bare);
      const now = this.#now();
      if (last !== undefined && now - last < REFUSAL_WINDOW_MS) return true;
      if (this.#refused.size >= 1000) this.#refused.clear();
      this.#refused.set(bare, now);
      this.o.log.info({ from: bare }, "chat from a stranger refused");
      await this.o.send(reply(stanza, STRANGER_REPLY));
      return true;
    }
    if (!this.#limiter.take(bare, CHAT_BUCKET)) {
      this.o.log.debug({ from: bare }, "chat over the rate limit; not answered");
      return true;
    }
    const answers: string[] = [];
    for (const command of parseBody(body)) answers.push(await this.#run(from, command));
    if (answers.length === 0) return true;
    await this.o.send(reply(stanza, answers.join("\n\n")));
    return true;
  }

  async #run(from: string, c: ChatCommand): Promise<string> {
    switch (c.kind) {
      case "menu":
        return formatMenu(c.extended);
      case "status":
        return formatStatusText(this.o.api.status());
      case "read":
        return this.#read(from, c.full, c.prefix);
      case "params": {
        const all = this.o.api.parameters();
        if (c.name === undefined) return formatParameters(all);
        const t = splitTarget(c.name);
        const some = all.filter((p) => p.name.toLowerCase() === t.name.toLowerCase() && (t.node === undefined || p.node === t.node));
        return some.length > 0 ? formatParameters(some) : `No control parameter "${c.name}". Send := for the list.`;
      }
      case "set":
        return this.#set(from, c.name, c.value);
      case "unknown":
        return `Unknown command "${c.text}". Send # for the menu.`;
    }
  }

  async #read(from: string, full: boolean, prefix?: string): Promise<string> {
    let query: PeopleQuery;
    try {
      query = await this.o.api.authorizeRead(from, { types: full ? LIVE_TYPES : MOMENTARY, nodes: [], fieldNames: new Set() });
    } catch (err) {
      if (err instanceof ProtocolError) return "Not allowed to read.";
      throw err;
    }
    let outcomes = await this.o.api.read(query);
    if (prefix !== undefined) {
      const p = prefix.toLowerCase();
      const nodes = outcomes.filter((o) => o.nodeId.toLowerCase().startsWith(p));
      outcomes =
        nodes.length > 0
          ? nodes
          : outcomes.flatMap((o): NodeOutcome[] => {
              if ("error" in o) return [];
              const fields = o.fields.filter((f) => f.name.toLowerCase().startsWith(p));
              return fields.length > 0 ? [{ nodeId: o.nodeId, fields }] : [];
            });
      if (outcomes.length === 0) return `Nothing matches "${prefix}". Send ? for every value.`;
    }
    return formatReadout(outcomes);
  }

  async #set(from: string, target: string, value: string): Promise<string> {
    const t = splitTarget(target);
    const known = this.o.api.parameters().find((p) => p.name.toLowerCase() === t.name.toLowerCase() && (t.node === undefined || p.node === t.node));
    const out = await this.o.api.set(from, t.node, known?.name ?? t.name, value);
    if (!out.ok) {
      if (out.condition === "forbidden") return "Not allowed: only the owner and configured controllers may set parameters.";
      return `Not set: ${out.reason}`;
    }
    return `${out.node}.${out.name} = *${out.value ? valueWithUnit(out.value) : value}*`;
  }
}

/** The answer, to the sender's full JID, in the conversation's type and thread. */
function reply(to: Element, text: string): Element {
  const type = to.attrs.type === "chat" ? "chat" : "normal";
  const thread = to.getChildText("thread");
  return xml(
    "message",
    { to: to.attrs.from, type, ...(to.attrs.id ? { id: `re-${to.attrs.id}` } : {}) },
    xml("body", {}, text),
    thread ? xml("thread", {}, thread) : undefined,
  );
}
