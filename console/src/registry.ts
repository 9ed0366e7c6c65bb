// The console's side of the Thing Registry (XEP-0347; docs/registry.md): which Things the
// registry says are ours, and giving one up. thingd-registry has no XEP-0347 query for "my
// Things" (a search finds public Things by tag, not by owner); its "Disown" ad-hoc command
// (XEP-0050) opens with a form listing the requester's Things, JID as value and a summary as
// label, so the console executes it, reads the options and cancels. Pure: stanzas in and out.
import { xml, type Element } from "@xmpp/xml";
import { NS_DISCOVERY } from "../../agent/protocol/ns.js";

export const NS_COMMANDS = "http://jabber.org/protocol/commands";
const NS_DATA = "jabber:x:data";
/** The registry's command whose first form lists the requester's Things. */
export const LIST_NODE = "disown";

export interface OwnedThing {
  jid: string;
  /** "thing@example.org (MAN example.com, SN 0001)", as the registry summarises it. */
  label: string;
}

export function buildOwnedListIq(registry: string): Element {
  return xml("iq", { type: "set", to: registry }, xml("command", { xmlns: NS_COMMANDS, node: LIST_NODE, action: "execute" }));
}

export function buildCommandCancelIq(registry: string, node: string, sessionid: string): Element {
  return xml("iq", { type: "set", to: registry }, xml("command", { xmlns: NS_COMMANDS, node, sessionid, action: "cancel" }));
}

export interface OwnedList {
  things: OwnedThing[];
  /** Set while the command is still executing: cancel it with this session id. */
  sessionid?: string;
}

/**
 * The Things in the command's answer: the options of its `jid` field, or none when it completed
 * at once ("You own no Things"). Throws on an error answer (no such command: not our registry).
 */
export function parseOwnedList(reply: Element): OwnedList {
  if (reply.attrs.type === "error") throw new Error("the registry does not list owned Things (no Disown command)");
  const cmd = reply.getChild("command", NS_COMMANDS);
  if (!cmd) throw new Error("the registry answered the Disown command without a <command/>");
  const field = cmd
    .getChild("x", NS_DATA)
    ?.getChildren("field")
    .find((f) => f.attrs.var === "jid");
  const things = (field?.getChildren("option") ?? []).flatMap((o) => {
    const jid = o.getChildText("value")?.trim();
    return jid ? [{ jid, label: o.attrs.label ?? jid }] : [];
  });
  const executing = cmd.attrs.status === "executing" && cmd.attrs.sessionid;
  return { things, ...(executing ? { sessionid: cmd.attrs.sessionid } : {}) };
}

/** XEP-0347 `<disown jid/>`: the registry asks the Thing to acknowledge, then frees it. */
export function buildDisownIq(registry: string, thing: string, ns: string = NS_DISCOVERY): Element {
  return xml("iq", { type: "set", to: registry }, xml("disown", { xmlns: ns, jid: thing }));
}
