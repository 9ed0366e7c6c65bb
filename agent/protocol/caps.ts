// XEP-0115 Entity Capabilities v1.6: the verification string of our disco#info and the <c/>
// element for presence, so clients learn our features (commands, sensor data) without asking.
import { createHash } from "node:crypto";
import { xml, type Element } from "@xmpp/xml";

export const NS_CAPS = "http://jabber.org/protocol/caps";
export const CAPS_NODE = "https://github.com/thingd/thingd";

/** §5.1: identities (category/type/lang/name) then features, each sorted and "<"-terminated. */
export function capsVer(identities: ReadonlyArray<{ category: string; type: string; name?: string; lang?: string }>, features: readonly string[]): string {
  const ids = identities.map((i) => `${i.category}/${i.type}/${i.lang ?? ""}/${i.name ?? ""}`).sort();
  const s = [...ids, ...[...new Set(features)].sort()].map((x) => `${x}<`).join("");
  return createHash("sha1").update(s, "utf8").digest("base64");
}

/** The ver of a disco#info <query> as we build it. */
export function capsVerOf(query: Element): string {
  const identities = query.getChildren("identity").map((i) => ({
    category: i.attrs.category ?? "",
    type: i.attrs.type ?? "",
    ...(i.attrs.name !== undefined ? { name: i.attrs.name } : {}),
    ...(i.attrs["xml:lang"] !== undefined ? { lang: i.attrs["xml:lang"] } : {}),
  }));
  return capsVer(
    identities,
    query.getChildren("feature").map((f) => f.attrs.var ?? ""),
  );
}

export function buildCaps(ver: string): Element {
  return xml("c", { xmlns: NS_CAPS, hash: "sha-1", node: CAPS_NODE, ver });
}
