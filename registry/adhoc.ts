// XEP-0050 ad-hoc commands for clients with a commands menu (Gajim, Psi, Movim, Cheogram...):
// "Claim a thing" (one URI field), "My things", "Disown", "Remove". Single-page forms, no
// state kept between the steps: the submitted form says everything.
import { randomBytes } from "node:crypto";
import { xml, type Element } from "@xmpp/xml";
import type { Logger } from "pino";
import { RegistryError } from "./protocol/errors.js";
import { claimByText, listText, ownerAction, summary } from "./people.js";
import type { ThingRecord } from "./store/record.js";
import type { RegistryService } from "./service.js";

export const NS_COMMANDS = "http://jabber.org/protocol/commands";
const NS_DATA = "jabber:x:data";

const COMMANDS = [
  { node: "claim", name: "Claim a thing" },
  { node: "list", name: "My things" },
  { node: "disown", name: "Disown" },
  { node: "remove", name: "Remove" },
] as const;

export function commandItems(domain: string): Element[] {
  return COMMANDS.map((c) => xml("item", { jid: domain, node: c.node, name: c.name }));
}

function field(x: Element | undefined, name: string): string | undefined {
  const f = x?.getChildren("field").find((e) => e.attrs.var === name);
  return f?.getChildText("value") ?? undefined;
}

function done(node: string, sessionid: string, text: string, type: "info" | "error" = "info"): Element {
  return xml("command", { xmlns: NS_COMMANDS, node, sessionid, status: "completed" }, xml("note", { type }, text));
}

/**
 * "My things" as a result form (XEP-0004 §3.4, a table: one <item> per Thing under <reported>
 * column headers) after the same text as a note: clients with forms show a table, programs
 * (the web console) read the rows, the rest still read the note.
 */
function ownedTable(things: readonly ThingRecord[]): Element {
  const col = (v: string, label: string, type = "text-single") => xml("field", { var: v, label, type });
  const cell = (v: string, value: string) => xml("field", { var: v }, xml("value", {}, value));
  return xml(
    "x",
    { xmlns: NS_DATA, type: "result" },
    xml("title", {}, "My things"),
    xml("reported", {}, col("jid", "Thing", "jid-single"), col("node", "Node"), col("summary", "Tags"), col("visibility", "Visibility")),
    ...things.map((r) =>
      xml(
        "item",
        {},
        cell("jid", r.jid),
        cell("node", r.nodeId ?? ""),
        cell("summary", summary(r)),
        cell("visibility", r.isPublic ? (r.removed ? "removed from searches" : "public") : "private"),
      ),
    ),
  );
}

function form(node: string, sessionid: string, title: string, ...fields: Element[]): Element {
  return xml(
    "command",
    { xmlns: NS_COMMANDS, node, sessionid, status: "executing" },
    xml("actions", { execute: "complete" }, xml("complete")),
    xml("x", { xmlns: NS_DATA, type: "form" }, xml("title", {}, title), ...fields),
  );
}

export async function handleCommand(from: string, cmd: Element, service: RegistryService, domain: string, log: Logger): Promise<Element> {
  const node = cmd.attrs.node ?? "";
  if (!COMMANDS.some((c) => c.node === node)) throw new RegistryError("item-not-found", "no such command");
  const sessionid = (cmd.attrs.sessionid ?? randomBytes(8).toString("hex")).slice(0, 64);
  const action = cmd.attrs.action ?? "execute";
  if (action === "cancel") return xml("command", { xmlns: NS_COMMANDS, node, sessionid, status: "canceled" });
  if (action !== "execute" && action !== "complete") throw new RegistryError("bad-request", `action ${action} is not offered`);
  const x = cmd.getChild("x", NS_DATA);
  const submitted = x?.attrs.type === "submit";
  switch (node) {
    case "list": {
      const answer = done(node, sessionid, listText(service, from));
      answer.append(ownedTable(service.owned(from)));
      return answer;
    }
    case "claim": {
      if (!submitted) {
        return form(
          node,
          sessionid,
          "Claim a thing",
          xml("instructions", {}, "Paste the Thing's claim code: the iotdisco:… text of its QR code."),
          xml("field", { var: "uri", type: "text-single", label: "Claim code" }, xml("required")),
        );
      }
      const text = await claimByText(service, domain, from, field(x, "uri") ?? "", log);
      return done(node, sessionid, text, text.startsWith("You now own") ? "info" : "error");
    }
    case "disown":
    case "remove": {
      if (!submitted) {
        const mine = service.owned(from).filter((r) => r.nodeId === undefined);
        if (mine.length === 0) return done(node, sessionid, "You own no Things in this registry.");
        return form(
          node,
          sessionid,
          node === "disown" ? "Disown a thing" : "Remove a thing from searches",
          xml(
            "field",
            { var: "jid", type: "list-single", label: "Thing" },
            xml("required"),
            ...mine.map((r) => xml("option", { label: summary(r) }, xml("value", {}, r.jid))),
          ),
        );
      }
      const text = await ownerAction(service, node, from, field(x, "jid"), log);
      return done(node, sessionid, text, text.startsWith("Cannot") || text.startsWith("You own no") || text.startsWith("Usage") ? "error" : "info");
    }
    default:
      throw new RegistryError("item-not-found", "no such command");
  }
}
