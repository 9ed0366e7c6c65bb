// Incoming IQ get/set → the registry's answer, as a whole <iq/> stanza (result or error).
// Exactly one child, a known (type, namespace, element), else the RFC 6120 answers:
// bad-request, service-unavailable. A RegistryError becomes its stanza error; anything else
// is logged and answered internal-server-error, never a crash.
import { xml, type Element } from "@xmpp/xml";
import type { Logger } from "pino";
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_DISCOVERY, NS_DISCOVERY_IEEE, NS_PING } from "../agent/protocol/ns.js";
import { handleCommand, NS_COMMANDS, commandItems } from "./adhoc.js";
import { bareJid, isJid } from "./jid.js";
import { RegistryError } from "./protocol/errors.js";
import { parseSearch } from "./protocol/search.js";
import { buildClaimedForOwner, buildClaimedForThing, buildDisowned, buildFound, readNode } from "./protocol/stanzas.js";
import { parseTags } from "./protocol/tags.js";
import type { RegistryService } from "./service.js";

export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const DISCOVERY = new Set<string>([NS_DISCOVERY, NS_DISCOVERY_IEEE]);

export interface IqContext {
  service: RegistryService;
  /** The component's domain (the `from` of every answer). */
  domain: string;
  log: Logger;
}

export function iqResult(req: Element, domain: string, payload?: Element): Element {
  return xml("iq", { type: "result", id: req.attrs.id, to: req.attrs.from, from: domain }, payload);
}

export function iqError(req: Element, domain: string, err: RegistryError): Element {
  return xml(
    "iq",
    { type: "error", id: req.attrs.id, to: req.attrs.from, from: domain },
    xml("error", { type: err.type }, xml(err.condition, { xmlns: NS_STANZAS }), xml("text", { xmlns: NS_STANZAS, "xml:lang": "en" }, err.message)),
  );
}

export function discoInfo(node: string | undefined): Element {
  if (node === NS_COMMANDS) {
    return xml("query", { xmlns: NS_DISCO_INFO, node }, xml("identity", { category: "automation", type: "command-list", name: "Thing Registry commands" }));
  }
  if (node !== undefined) throw new RegistryError("item-not-found", "no such node");
  return xml(
    "query",
    { xmlns: NS_DISCO_INFO },
    xml("identity", { category: "component", type: "generic", name: "Thing Registry (thingd-registry)" }),
    ...[NS_DISCO_INFO, NS_DISCO_ITEMS, NS_DISCOVERY, NS_DISCOVERY_IEEE, NS_COMMANDS, NS_PING].map((v) => xml("feature", { var: v })),
  );
}

async function dispatch(iq: Element, child: Element, ctx: IqContext): Promise<Element | undefined> {
  const { service, domain } = ctx;
  const from = iq.attrs.from!;
  const ns = child.attrs.xmlns ?? "";
  const type = iq.attrs.type;
  if (type === "get" && ns === NS_DISCO_INFO && child.name === "query") return discoInfo(child.attrs.node);
  if (type === "get" && ns === NS_DISCO_ITEMS && child.name === "query") {
    if (child.attrs.node === NS_COMMANDS) return xml("query", { xmlns: NS_DISCO_ITEMS, node: NS_COMMANDS }, ...commandItems(domain));
    if (child.attrs.node !== undefined) throw new RegistryError("item-not-found", "no such node");
    return xml("query", { xmlns: NS_DISCO_ITEMS });
  }
  if (type === "get" && ns === NS_PING && child.name === "ping") return undefined;
  if (type === "set" && ns === NS_COMMANDS && child.name === "command") return handleCommand(from, child, service, domain, ctx.log);
  if (!DISCOVERY.has(ns)) throw new RegistryError("service-unavailable", "not a service of this registry");
  const op = `${type} ${child.name}`;
  switch (op) {
    case "set register": {
      const out = await service.register(from, child, ns);
      return "claimed" in out ? buildClaimedForThing(ns, out.claimed) : undefined;
    }
    case "set update":
      return (await service.update(from, child)) === "disowned" ? buildDisowned(ns) : undefined;
    case "set unregister":
      await service.unregister(from, child);
      return undefined;
    case "set mine": {
      const tags = parseTags(child);
      const isPublic = child.attrs.public !== "false" && child.attrs.public !== "0";
      return buildClaimedForOwner(ns, await service.mine(from, tags, isPublic));
    }
    case "set remove":
    case "set disown": {
      const jid = child.attrs.jid;
      if (!jid || !isJid(jid)) throw new RegistryError("bad-request", `<${child.name}> needs the Thing's jid`);
      if (child.name === "remove") await service.remove(from, jid, readNode(child));
      else await service.disown(from, jid, readNode(child));
      return undefined;
    }
    case "get search": {
      const page = service.search(parseSearch(child));
      return buildFound(ns, page.things, page.more);
    }
    default:
      throw new RegistryError("feature-not-implemented", `${child.name} (IQ ${String(type)}) is not a registry operation`);
  }
}

/** The answer to one IQ get/set. */
export async function answerIq(iq: Element, ctx: IqContext): Promise<Element> {
  try {
    const children = iq.getChildElements();
    if (children.length !== 1) throw new RegistryError("bad-request", "an IQ request must have exactly one child");
    const from = iq.attrs.from;
    if (!from || !isJid(from)) throw new RegistryError("bad-request", "no sender");
    if (bareJid(from) === ctx.domain) throw new RegistryError("forbidden", "not from myself");
    return iqResult(iq, ctx.domain, await dispatch(iq, children[0]!, ctx));
  } catch (err) {
    if (err instanceof RegistryError) return iqError(iq, ctx.domain, err);
    ctx.log.error({ err, stanza: iq.toString().slice(0, 500) }, "internal error answering an IQ");
    return iqError(iq, ctx.domain, new RegistryError("internal-server-error", "internal error"));
  }
}
