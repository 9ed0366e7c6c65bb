// Registry-side XEP-0347 payloads (docs/registry.md): results for owners and searchers, and
// the pushes to a Thing. Every builder takes the namespace to speak, since a Thing or client
// may use urn:xmpp:iot:discovery or urn:ieee:iot:disco:1.0. Pure.
import { xml, type Element } from "@xmpp/xml";
import type { NodeRef, ThingRecord } from "../store/record.js";
import type { Tags } from "./tags.js";

export function nodeAttrs(n: NodeRef): Record<string, string | undefined> {
  return { nodeId: n.nodeId, sourceId: n.sourceId, cacheType: n.cacheType };
}

/** nodeId/sourceId/cacheType of a request element (empty strings count as absent). */
export function readNode(el: Element): NodeRef {
  const n: NodeRef = {};
  if (el.attrs.nodeId) n.nodeId = el.attrs.nodeId.slice(0, 256);
  if (el.attrs.sourceId) n.sourceId = el.attrs.sourceId.slice(0, 256);
  if (el.attrs.cacheType) n.cacheType = el.attrs.cacheType.slice(0, 256);
  return n;
}

export function tagElements(tags: Tags, withKey = false): Element[] {
  const out: Element[] = [];
  for (const [key, t] of tags) if (withKey || key !== "KEY") out.push(xml(t.type, { name: t.name, value: t.value }));
  return out;
}

/** To the owner after `mine`: the Thing's JID (and node). */
export function buildClaimedForOwner(ns: string, r: ThingRecord): Element {
  return xml("claimed", { xmlns: ns, jid: r.jid, ...nodeAttrs(r) });
}

/** To the Thing: who owns it now (also inside a <register> result once claimed). */
export function buildClaimedForThing(ns: string, r: ThingRecord): Element {
  return xml("claimed", { xmlns: ns, jid: r.owner ?? r.jid, public: r.isPublic ? "true" : "false", ...nodeAttrs(r) });
}

export function buildRemoved(ns: string, r: NodeRef): Element {
  return xml("removed", { xmlns: ns, ...nodeAttrs(r) });
}

export function buildDisowned(ns: string, r?: NodeRef): Element {
  return xml("disowned", { xmlns: ns, ...(r ? nodeAttrs(r) : {}) });
}

export function buildFound(ns: string, things: readonly ThingRecord[], more: boolean): Element {
  return xml(
    "found",
    { xmlns: ns, more: more ? "true" : "false" },
    ...things.map((r) => xml("thing", { owner: r.owner ?? r.jid, jid: r.jid, ...nodeAttrs(r) }, ...tagElements(r.tags))),
  );
}
