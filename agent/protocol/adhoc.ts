// XEP-0050 Ad-Hoc Commands v1.3: parse <command> requests, build responses, the command list
// (disco#items on the commands node) and a command's disco#info. Pure.
import { xml, type Element } from "@xmpp/xml";
import { ProtocolError } from "../errors.js";
import { NS_DISCO_INFO, NS_DISCO_ITEMS } from "./ns.js";
import { NS_XDATA } from "./xdata.js";

export const NS_COMMANDS = "http://jabber.org/protocol/commands";

export type CommandAction = "execute" | "next" | "prev" | "complete" | "cancel";
export type CommandStatus = "executing" | "completed" | "canceled";

export interface CommandRequest {
  node: string;
  action: CommandAction;
  sessionid?: string;
  /** The <command> element (holds the submitted <x>, if any). */
  el: Element;
}

const ACTIONS: readonly string[] = ["execute", "next", "prev", "complete", "cancel"];

export function parseCommand(el: Element): CommandRequest {
  const node = el.attrs.node;
  if (!node) throw new ProtocolError("bad-request", 'command: missing attribute "node"');
  const action = el.attrs.action ?? "execute";
  if (!ACTIONS.includes(action)) throw new ProtocolError("bad-request", `command@action: unknown action "${action}"`);
  return { node, action: action as CommandAction, ...(el.attrs.sessionid ? { sessionid: el.attrs.sessionid } : {}), el };
}

export interface CommandResponse {
  node: string;
  sessionid: string;
  status: CommandStatus;
  form?: Element;
  note?: { type: "info" | "warn" | "error"; text: string };
}

export function buildCommandResponse(r: CommandResponse): Element {
  return xml(
    "command",
    { xmlns: NS_COMMANDS, node: r.node, sessionid: r.sessionid, status: r.status },
    // Single-page forms: "complete" is the only way on (§4.4), so every client can finish them.
    r.status === "executing" ? xml("actions", { execute: "complete" }, xml("complete")) : undefined,
    r.note ? xml("note", { type: r.note.type }, r.note.text) : undefined,
    r.form,
  );
}

export function buildCommandList(jid: string, commands: ReadonlyArray<{ node: string; name: string }>): Element {
  return xml("query", { xmlns: NS_DISCO_ITEMS, node: NS_COMMANDS }, ...commands.map((c) => xml("item", { jid, node: c.node, name: c.name })));
}

export function buildCommandInfo(node: string, name: string): Element {
  return xml(
    "query",
    { xmlns: NS_DISCO_INFO, node },
    xml("identity", { category: "automation", type: "command-node", name }),
    xml("feature", { var: NS_COMMANDS }),
    xml("feature", { var: NS_XDATA }),
  );
}

/** disco#info on the commands node itself (§2.2). */
export function buildCommandsNodeInfo(): Element {
  return xml("query", { xmlns: NS_DISCO_INFO, node: NS_COMMANDS }, xml("identity", { category: "automation", type: "command-list", name: "Commands" }));
}
