// Finding the Thing Registry when none is configured (XEP-0347 §3.5 / protocol.md §2.1 step 5):
// disco#items on the server domain, then disco#info on each item until one advertises
// urn:xmpp:iot:discovery.
import type { Logger } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_DISCOVERY } from "./protocol/ns.js";

export function parseDiscoItems(result: Element): string[] {
  const query = result.getChild("query", NS_DISCO_ITEMS);
  return (query?.getChildren("item") ?? []).map((i) => i.attrs.jid).filter((j): j is string => !!j);
}

export function hasFeature(result: Element, feature: string): boolean {
  const query = result.getChild("query", NS_DISCO_INFO);
  return (query?.getChildren("feature") ?? []).some((f) => f.attrs.var === feature);
}

export async function discoverRegistry(request: (iq: Element) => Promise<Element>, domain: string, log: Logger): Promise<string | undefined> {
  let items: string[];
  try {
    items = parseDiscoItems(await request(xml("iq", { type: "get", to: domain }, xml("query", { xmlns: NS_DISCO_ITEMS }))));
  } catch (err) {
    log.warn({ err, domain }, "disco#items on the server failed; cannot search for a Thing Registry");
    return undefined;
  }
  for (const jid of items) {
    try {
      if (hasFeature(await request(xml("iq", { type: "get", to: jid }, xml("query", { xmlns: NS_DISCO_INFO }))), NS_DISCOVERY)) return jid;
    } catch (err) {
      log.debug({ err, jid }, "disco#info failed; skipping");
    }
  }
  return undefined;
}
