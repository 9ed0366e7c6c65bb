// The people-facing services together (docs/people.md): chat, ad-hoc commands, event pushes
// and alerts, built over the ThingApi seam. thing.ts routes stanzas here and feeds readings.
import type { Logger } from "pino";
import type { Element } from "@xmpp/xml";
import { CommandRegistry } from "../adhoc/registry.js";
import { readCommand, setCommand, statusCommand } from "../adhoc/commands.js";
import { ChatService } from "../chat/handler.js";
import { EventSubscriptions, type EventLimits } from "../events/manager.js";
import { AlertService } from "../alerts/service.js";
import type { AlertRule } from "../alerts/rules.js";
import { buildCommandsNodeInfo, NS_COMMANDS } from "../protocol/adhoc.js";
import { EVENT_NAMESPACES } from "../protocol/events.js";
import type { IqRouter } from "../transport/iq-router.js";
import type { Reading, ThingApi } from "./thing-api.js";

/** IoTGateway's chat feature: "every line is a command" (docs/people.md "Chat"). */
export const NS_IOT_CHAT = "urn:xmpp:iot:chat";

/** disco#info features the people services add. */
export const PEOPLE_FEATURES: readonly string[] = [NS_COMMANDS, ...EVENT_NAMESPACES, NS_IOT_CHAT];

export interface PeopleOptions {
  api: ThingApi;
  send(...stanzas: Element[]): Promise<boolean>;
  /** The Thing's bare JID. */
  ownJid(): string;
  /** The owner's bare JID, when claimed or configured (alerts `to: [owner]`). */
  owner(): string | undefined;
  eventLimits(): EventLimits;
  alerts: readonly AlertRule[];
  log: Logger;
}

export class People {
  readonly chat: ChatService;
  readonly events: EventSubscriptions;
  readonly commands: CommandRegistry;
  readonly alerts: AlertService;

  constructor(o: PeopleOptions) {
    this.chat = new ChatService({ api: o.api, send: (s) => o.send(s), ownJid: o.ownJid, log: o.log.child({ module: "chat" }) });
    this.events = new EventSubscriptions({ api: o.api, send: (s) => o.send(...s), limits: o.eventLimits, log: o.log.child({ module: "events" }) });
    this.commands = new CommandRegistry(o.log.child({ module: "adhoc" })).add(readCommand(o.api)).add(setCommand(o.api)).add(statusCommand(o.api));
    this.alerts = new AlertService({ api: o.api, rules: o.alerts, owner: o.owner, send: (s) => o.send(s), log: o.log.child({ module: "alerts" }) });
  }

  route(router: IqRouter): void {
    for (const ns of EVENT_NAMESPACES) {
      router.on("get,set", ns, "subscribe", this.events.handleSubscribe).on("get,set", ns, "unsubscribe", this.events.handleUnsubscribe);
    }
    router.on("set", NS_COMMANDS, "command", this.commands.handle);
  }

  /** disco#info on one of our nodes (the command list or a command), else undefined. */
  discoInfo(node: string): Element | undefined {
    if (node === NS_COMMANDS) return buildCommandsNodeInfo();
    return this.commands.info(node);
  }

  /** disco#items on the commands node, listing what `from` may run; undefined for other nodes. */
  async discoItems(node: string | undefined, from: string, ownFullJid: string): Promise<Element | undefined> {
    return node === NS_COMMANDS ? this.commands.list(from, ownFullJid) : undefined;
  }

  /** A message: a bounce suspends a subscriber; a person's chat is answered. True when taken. */
  async handleMessage(stanza: Element): Promise<boolean> {
    if (stanza.attrs.type === "error") {
      this.events.handleBounce(stanza);
      return true;
    }
    return this.chat.handleMessage(stanza);
  }

  handlePresence(stanza: Element): void {
    this.events.handlePresence(stanza);
  }

  /** Every good reading of the poll loop. */
  onReading(nodeId: string, reading: Reading): void {
    this.events.onReading(nodeId, reading);
    this.alerts.onReading(nodeId);
  }

  start(): void {
    this.alerts.start();
  }

  stop(): void {
    this.events.stop();
    this.alerts.stop();
  }
}
