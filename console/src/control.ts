// XEP-0325 set from the console: one parameter of one node; the refusal reason from an error.
import { xml, type Element } from "@xmpp/xml";
import { NS_CONTROL, NS_STANZAS } from "../../agent/protocol/ns.js";

/** The control element for a field kind (boolean, int, double, string, …); numeric fields are written as double. */
export function buildSetIq(to: string, node: string, kind: string, name: string, value: string): Element {
  const el = kind === "numeric" ? "double" : kind;
  return xml("iq", { type: "set", to }, xml("set", { xmlns: NS_CONTROL }, xml("node", { nodeId: node }), xml(el, { name, value })));
}

/** Why a set failed, for people: the error text if the Thing sent one, else the condition. */
export function refusalReason(reply: Element): string {
  const error = reply.getChild("error");
  if (!error) return "refused";
  const text = error.getChildText("text", NS_STANZAS);
  const condition = error.getChildElements().find((c) => c.getNS() === NS_STANZAS && c.name !== "text")?.name;
  const param = error.getChild("paramError", NS_CONTROL)?.attrs.var;
  return [condition ?? "error", param ? `(${param})` : "", text ? `: ${text}` : ""].join(" ").replace(/\s+:/, ":").trim();
}
