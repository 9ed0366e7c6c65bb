// XEP-0347 Internet of Things - Discovery, v0.5.1 (Deferred 2018); protocol.md §2.
import { xml, type Element } from "@xmpp/xml";
import { ProtocolError } from "../errors.js";
import { NS_DISCOVERY } from "./ns.js";

export type MetaTags = Record<string, string | number>;

/** <register> with <str>/<num> tags (§2.2, §2.3): the tag type matters to searches. */
export function buildRegister(tags: MetaTags): Element {
  return xml("register", { xmlns: NS_DISCOVERY }, ...buildTags(tags));
}

export function buildTags(tags: MetaTags): Element[] {
  return Object.entries(tags).map(([name, value]) =>
    typeof value === "number" ? xml("num", { name, value: String(value) }) : xml("str", { name, value }),
  );
}

export interface Claim {
  owner: string;
  /** protocol.md §2.4: no `public` attribute is treated as public. */
  isPublic: boolean;
}

/** Reads <claimed jid public?> (§2.4). Throws bad-request if jid is missing. */
export function parseClaimed(el: Element): Claim {
  const owner = el.attrs.jid;
  if (!owner) throw new ProtocolError("bad-request", `claimed: missing attribute "jid"`);
  return { owner, isPublic: el.attrs.public !== "false" && el.attrs.public !== "0" };
}

/** The result of <register>: empty = registered, unclaimed; <claimed> = already claimed (§2.2). */
export function parseRegisterResult(iqResult: Element): Claim | undefined {
  const claimed = iqResult.getChild("claimed", NS_DISCOVERY);
  return claimed ? parseClaimed(claimed) : undefined;
}
