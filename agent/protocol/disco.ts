// XEP-0030 service discovery results, read (docs/protocol.md §2.1 step 5: finding the Thing
// Registry). Pure and free of Node imports: the daemon and the web console both use it.
import { xml, type Element } from "@xmpp/xml";
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_DISCOVERY, NS_DISCOVERY_IEEE } from "./ns.js";

export function buildDiscoItemsIq(to: string): Element {
  return xml("iq", { type: "get", to }, xml("query", { xmlns: NS_DISCO_ITEMS }));
}

export function buildDiscoInfoIq(to: string): Element {
  return xml("iq", { type: "get", to }, xml("query", { xmlns: NS_DISCO_INFO }));
}

export function parseDiscoItems(result: Element): string[] {
  const query = result.getChild("query", NS_DISCO_ITEMS);
  return (query?.getChildren("item") ?? []).map((i) => i.attrs.jid).filter((j): j is string => !!j);
}

export function hasFeature(result: Element, feature: string): boolean {
  const query = result.getChild("query", NS_DISCO_INFO);
  return (query?.getChildren("feature") ?? []).some((f) => f.attrs.var === feature);
}

/** Does this disco#info result come from a Thing Registry (XEP-0347 or its IEEE successor)? */
export function isRegistryInfo(result: Element): boolean {
  return hasFeature(result, NS_DISCOVERY) || hasFeature(result, NS_DISCOVERY_IEEE);
}
