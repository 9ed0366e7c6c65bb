// XEP-0324 client (protocol.md §3.1): asks the provisioning server isFriend / canRead /
// canControl, caches answers keyed by the question, counts a timeout or an error as a deny
// (never cached, so the next request asks again), and obeys clearCache / friend / unfriend
// only when they come from the provisioning server itself.
import type { Logger } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { ProtocolError } from "../errors.js";
import { bareJid } from "./bare-jid.js";
import { NS_ROSTER } from "../protocol/ns.js";
import {
  buildCanControl,
  buildCanRead,
  buildClearCacheResponse,
  buildIsFriend,
  parseCanControlResponse,
  parseCanReadResponse,
  parseFriendshipMessage,
  parseIsFriendResponse,
  questionKey,
  type FriendshipNotice,
  type ProvisioningAnswer,
  type ReadQuestion,
  type Tokens,
} from "../protocol/provisioning.js";
import type { IqHandler } from "../transport/iq-router.js";

export interface ProvisioningOptions {
  /** The provisioning server's address (component or bare JID). */
  jid: string;
  cacheMs: number;
  timeoutMs: number;
  log: Logger;
  request(stanza: Element, timeoutMs: number): Promise<Element>;
  send(stanza: Element): Promise<boolean>;
}

const DENY: ProvisioningAnswer = { result: false };

export class ProvisioningClient {
  readonly #cache = new Map<string, { answer: ProvisioningAnswer; expires: number }>();
  /** Questions asked of the server (not answered from the cache): for status and tests. */
  asked = 0;

  constructor(private readonly o: ProvisioningOptions) {}

  get jid(): string {
    return this.o.jid;
  }

  isFromServer(from: string): boolean {
    return bareJid(from) === bareJid(this.o.jid);
  }

  async isFriend(jid: string): Promise<boolean> {
    return (await this.#ask(buildIsFriend(bareJid(jid)), (r) => ({ result: parseIsFriendResponse(r) }))).result;
  }

  canRead(jid: string, question: ReadQuestion): Promise<ProvisioningAnswer> {
    return this.#ask(buildCanRead(bareJid(jid), question), parseCanReadResponse);
  }

  canControl(jid: string, nodeIds: readonly string[], paramNames: readonly string[], tokens: Tokens = {}): Promise<ProvisioningAnswer> {
    return this.#ask(buildCanControl(bareJid(jid), nodeIds, paramNames, tokens), parseCanControlResponse);
  }

  clearCache(): void {
    this.#cache.clear();
  }

  /** IQ set <clearCache/>: only from the provisioning server (else forbidden). */
  readonly handleClearCache: IqHandler = ({ from }) => {
    if (!this.isFromServer(from)) throw new ProtocolError("forbidden", "Only the provisioning server may clear the cache.");
    this.clearCache();
    this.o.log.info("provisioning cache cleared by the server");
    return buildClearCacheResponse();
  };

  /**
   * A message from the provisioning server: <friend jid/> → ask isFriend, then subscribe;
   * <unfriend jid/> → remove the contact from the roster. Returns what it did, undefined if the
   * message was not a (legitimate) provisioning notice.
   */
  async handleMessage(stanza: Element): Promise<FriendshipNotice | undefined> {
    const notice = parseFriendshipMessage(stanza);
    if (!notice) return undefined;
    if (!this.isFromServer(stanza.attrs.from ?? "")) {
      this.o.log.warn({ from: stanza.attrs.from, notice }, "ignored a friendship notice not sent by the provisioning server");
      return undefined;
    }
    const jid = bareJid(notice.jid);
    if (notice.kind === "friend") {
      this.#forget(buildIsFriend(jid));
      if (!(await this.isFriend(jid))) return undefined;
      await this.o.send(xml("presence", { type: "subscribe", to: jid }));
    } else {
      try {
        await this.o.request(xml("iq", { type: "set" }, xml("query", { xmlns: NS_ROSTER }, xml("item", { jid, subscription: "remove" }))), this.o.timeoutMs);
      } catch (err) {
        this.o.log.warn({ err, jid }, "could not remove an unfriended contact from the roster");
      }
    }
    this.o.log.info({ jid, kind: notice.kind }, "provisioning server changed a friendship");
    return { kind: notice.kind, jid };
  }

  #forget(question: Element): void {
    this.#cache.delete(questionKey(question));
  }

  async #ask(question: Element, parse: (result: Element) => ProvisioningAnswer): Promise<ProvisioningAnswer> {
    const key = questionKey(question);
    const hit = this.#cache.get(key);
    if (hit && hit.expires > Date.now()) return hit.answer;
    this.asked++;
    let answer: ProvisioningAnswer;
    try {
      answer = parse(await this.o.request(xml("iq", { type: "get", to: this.o.jid }, question), this.o.timeoutMs));
    } catch (err) {
      // §3.1 [rec]: a timeout (or any failure to get an answer) counts as a deny.
      this.o.log.warn({ err: { message: (err as Error).message, condition: (err as { condition?: string }).condition }, question: question.name }, "no answer from the provisioning server; denied");
      return DENY;
    }
    this.#cache.set(key, { answer, expires: Date.now() + this.o.cacheMs });
    return answer;
  }
}
