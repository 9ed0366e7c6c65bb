// The console's side of the Thing Registry (XEP-0347; docs/registry.md): which Things the
// registry says are ours, and giving one up. XEP-0347 has no query for "my Things" (a search
// finds public Things by tag, not by owner); thingd-registry's "My things" ad-hoc command
// (XEP-0050) answers with a result form, one row per Thing (jid, node, summary, visibility),
// which the console reads. Pure: stanzas in and out.
import { xml, type Element } from "@xmpp/xml";
import { NS_DISCOVERY } from "../../agent/protocol/ns.js";

export const NS_COMMANDS = "http://jabber.org/protocol/commands";
const NS_DATA = "jabber:x:data";
/** The registry's command that lists the requester's Things. */
export const LIST_NODE = "list";

export interface OwnedThing {
  jid: string;
  /** "thing@example.org (MAN example.com, SN 0001)", as the registry summarises it. */
  label: string;
}

export function buildOwnedListIq(registry: string): Element {
  return xml("iq", { type: "set", to: registry }, xml("command", { xmlns: NS_COMMANDS, node: LIST_NODE, action: "execute" }));
}

/**
 * The Things (bare JIDs; nodes behind a concentrator are left out) in the result form of the
 * command's answer; none when it has no rows. Throws on an error answer (no such command: a
 * registry that is not thingd-registry) or an answer without the result form.
 */
export function parseOwnedList(reply: Element): OwnedThing[] {
  // Another XEP-0347 registry (XEP-0347 has no query by owner): claims work, the list comes
  // from the roster alone. Said as a fact, not as a failure.
  if (reply.attrs.type === "error") throw new Error("claims only: it has no \"My things\" command, so the Things listed are your contacts");
  const form = reply
    .getChild("command", NS_COMMANDS)
    ?.getChildren("x", NS_DATA)
    .find((x) => x.attrs.type === "result");
  if (!form) throw new Error("the registry's \"My things\" answer has no result form");
  const cell = (item: Element, name: string) =>
    item
      .getChildren("field")
      .find((f) => f.attrs.var === name)
      ?.getChildText("value")
      ?.trim() ?? "";
  return form.getChildren("item").flatMap((item) => {
    const jid = cell(item, "jid");
    return jid && !cell(item, "node") ? [{ jid, label: cell(item, "summary") || jid }] : [];
  });
}

/** XEP-0347 `<disown jid/>`: the registry asks the Thing to acknowledge, then frees it. */
export function buildDisownIq(registry: string, thing: string, ns: string = NS_DISCOVERY): Element {
  return xml("iq", { type: "set", to: registry }, xml("disown", { xmlns: ns, jid: thing }));
}
