// XEP-0347 Internet of Things - Discovery, v0.5.1 (Deferred 2018); docs/protocol.md §2. The same
// elements serve the IEEE successor namespace (urn:ieee:iot:disco:1.0), so every builder takes
// the namespace the registry speaks.
import { xml, type Element } from "@xmpp/xml";
import { ProtocolError } from "../errors.js";
import { NS_DISCOVERY, NS_DISCOVERY_IEEE } from "./ns.js";

export type MetaTags = Record<string, string | number>;

/** Namespaces whose registry pushes we accept (§2.4). */
export const DISCOVERY_NAMESPACES = [NS_DISCOVERY, NS_DISCOVERY_IEEE] as const;

/** <register> with <str>/<num> tags (§2.2, §2.3): the tag type matters to searches. */
export function buildRegister(tags: MetaTags, ns: string = NS_DISCOVERY): Element {
  return xml("register", { xmlns: ns }, ...buildTags(tags));
}

export function buildTags(tags: MetaTags): Element[] {
  return Object.entries(tags).map(([name, value]) =>
    typeof value === "number" ? xml("num", { name, value: String(value) }) : xml("str", { name, value }),
  );
}

/** <update>tags</update> (§2.4): the registry merges them; a str tag with value '' is removed. */
export function buildUpdate(tags: MetaTags, ns: string = NS_DISCOVERY): Element {
  return xml("update", { xmlns: ns }, ...buildTags(tags));
}

/** <unregister/> (§2.4): uninstall; the registry always answers with an empty result. */
export function buildUnregister(ns: string = NS_DISCOVERY): Element {
  return xml("unregister", { xmlns: ns });
}

/**
 * The tags an <update> must carry to turn `sent` into `current`: new or changed tags, and
 * `''` for str tags no longer present (num tags cannot be removed: §2.4 defines '' for str).
 * KEY is never part of it: it is only ever blanked, once, after the claim.
 */
export function diffTags(sent: MetaTags, current: MetaTags): MetaTags {
  const changes: MetaTags = {};
  const upper = (o: MetaTags) => new Map(Object.entries(o).filter(([n]) => n.toUpperCase() !== "KEY").map(([n, v]) => [n.toUpperCase(), [n, v] as const]));
  const before = upper(sent);
  const after = upper(current);
  for (const [key, [name, value]] of after) {
    const old = before.get(key);
    if (!old || old[1] !== value || typeof old[1] !== typeof value) changes[name] = value;
  }
  for (const [key, [name, value]] of before) {
    if (!after.has(key) && typeof value === "string" && value !== "") changes[name] = "";
  }
  return changes;
}

/** The registry's view after an <update> of `changes` (merge; '' removes a str tag). */
export function mergeTags(sent: MetaTags, changes: MetaTags): MetaTags {
  const merged: MetaTags = { ...sent };
  for (const [name, value] of Object.entries(changes)) {
    for (const k of Object.keys(merged)) if (k.toUpperCase() === name.toUpperCase()) delete merged[k];
    if (value !== "" || name.toUpperCase() === "KEY") merged[name] = value;
  }
  return merged;
}

export interface Claim {
  owner: string;
  /** docs/protocol.md §2.4: no `public` attribute is treated as public. */
  isPublic: boolean;
}

/** Reads <claimed jid public?> (§2.4). Throws bad-request if jid is missing. */
export function parseClaimed(el: Element): Claim {
  const owner = el.attrs.jid;
  if (!owner) throw new ProtocolError("bad-request", `claimed: missing attribute "jid"`);
  return { owner, isPublic: el.attrs.public !== "false" && el.attrs.public !== "0" };
}

function discoveryChild(iq: Element, name: string): Element | undefined {
  for (const ns of DISCOVERY_NAMESPACES) {
    const el = iq.getChild(name, ns);
    if (el) return el;
  }
  return undefined;
}

/** The result of <register>: empty = registered, unclaimed; <claimed> = already claimed (§2.2). */
export function parseRegisterResult(iqResult: Element): Claim | undefined {
  const claimed = discoveryChild(iqResult, "claimed");
  return claimed ? parseClaimed(claimed) : undefined;
}

/** The result of <update> (§2.4): empty = ok; `<disowned/>` inside = disowned, register again. */
export function parseUpdateResult(iqResult: Element): "ok" | "disowned" {
  return discoveryChild(iqResult, "disowned") ? "disowned" : "ok";
}
