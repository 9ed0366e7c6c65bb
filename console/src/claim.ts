// Claiming a Thing from its `iotdisco:` URI (XEP-0347): the tags go back to the registry (tag R,
// else the one entered) in a <mine/>; the registry answers with the claimed Thing's JID.
import { xml, type Element } from "@xmpp/xml";
import { NS_DISCOVERY } from "../../agent/protocol/ns.js";

export interface IotDisco {
  str: Record<string, string>;
  num: Record<string, string>;
  registry?: string;
}

/** Parses `iotdisco:NAME=VALUE;#NUM=1;…;R=registry` (names and values percent-encoded). */
export function parseIotDiscoUri(uri: string): IotDisco {
  const text = uri.trim();
  if (!/^iotdisco:/i.test(text)) throw new Error("not an iotdisco: URI");
  const out: IotDisco = { str: {}, num: {} };
  for (const part of text.slice("iotdisco:".length).split(";")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    if (eq <= 0) throw new Error(`malformed tag "${part}"`);
    const numeric = part.startsWith("#");
    const name = decodeURIComponent(part.slice(numeric ? 1 : 0, eq));
    const value = decodeURIComponent(part.slice(eq + 1));
    if (numeric) out.num[name] = value;
    else if (name.toUpperCase() === "R") out.registry = value;
    else out.str[name] = value;
  }
  if (Object.keys(out.str).length + Object.keys(out.num).length === 0) throw new Error("the URI has no tags");
  return out;
}

export function buildMineIq(registry: string, d: IotDisco, isPublic = false): Element {
  return xml(
    "iq",
    { type: "set", to: registry },
    xml(
      "mine",
      { xmlns: NS_DISCOVERY, public: isPublic ? "true" : "false" },
      ...Object.entries(d.str).map(([name, value]) => xml("str", { name, value })),
      ...Object.entries(d.num).map(([name, value]) => xml("num", { name, value })),
    ),
  );
}

/** The claimed Thing's JID from the <mine/> result, when the registry names it. */
export function claimedJid(reply: Element): string | undefined {
  return reply.getChild("claimed")?.attrs.jid;
}
