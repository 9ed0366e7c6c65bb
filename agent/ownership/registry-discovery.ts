// Finding the Thing Registry when none is configured (XEP-0347 §3.5 / docs/protocol.md §2.1 step 5):
// disco#items on the server domain, then disco#info on each item until one advertises
// urn:xmpp:iot:discovery (or its IEEE successor urn:ieee:iot:disco:1.0).
import type { Logger } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_DISCOVERY, NS_DISCOVERY_IEEE } from "../protocol/ns.js";
import { hasFeature, parseDiscoItems } from "../protocol/disco.js";

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
      const info = await request(xml("iq", { type: "get", to: jid }, xml("query", { xmlns: NS_DISCO_INFO })));
      if (hasFeature(info, NS_DISCOVERY) || hasFeature(info, NS_DISCOVERY_IEEE)) return jid;
    } catch (err) {
      log.debug({ err, jid }, "disco#info failed; skipping");
    }
  }
  return undefined;
}

/** The namespace a registry's disco#info result asks for: IEEE when advertised, else XEP-0347. */
export function discoveryNamespace(info: Element): string {
  return hasFeature(info, NS_DISCOVERY_IEEE) ? NS_DISCOVERY_IEEE : NS_DISCOVERY;
}

/** Ask the registry which namespace it speaks; undefined when disco#info fails (ask again later). */
export async function registryNamespace(request: (iq: Element) => Promise<Element>, registry: string, log: Logger): Promise<string | undefined> {
  try {
    return discoveryNamespace(await request(xml("iq", { type: "get", to: registry }, xml("query", { xmlns: NS_DISCO_INFO }))));
  } catch (err) {
    log.debug({ err, registry }, "disco#info on the registry failed; using urn:xmpp:iot:discovery for now");
    return undefined;
  }
}
