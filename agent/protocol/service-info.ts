// XEP-0030 disco#info, XEP-0092 version, XEP-0199 ping payloads (docs/protocol.md §4).
import { xml, type Element } from "@xmpp/xml";
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_IEEE_SENSORDATA, NS_PING, NS_SENSORDATA, NS_VERSION } from "./ns.js";

/** Never advertise the discovery or provisioning features: they mark a registry (§4). */
export const FEATURES = [NS_DISCO_INFO, NS_SENSORDATA, NS_IEEE_SENSORDATA, NS_PING, NS_VERSION] as const;

/** `extra`: features that depend on the sensors, e.g. urn:xmpp:iot:control when some node is writable. */
export function buildDiscoInfo(name: string, node?: string, extra: readonly string[] = []): Element {
  return xml(
    "query",
    { xmlns: NS_DISCO_INFO, node },
    xml("identity", { category: "client", type: "bot", name }),
    ...[...FEATURES, ...extra].map((v) => xml("feature", { var: v })),
  );
}

export function buildDiscoItems(node?: string): Element {
  return xml("query", { xmlns: NS_DISCO_ITEMS, node });
}

export function buildVersion(name: string, version: string, os?: string): Element {
  return xml("query", { xmlns: NS_VERSION }, xml("name", {}, name), xml("version", {}, version), os ? xml("os", {}, os) : undefined);
}

export function buildPing(): Element {
  return xml("ping", { xmlns: NS_PING });
}
