// One registration: a Thing (bare JID, or a node behind a concentrator) with its tags and owner.
import type { Tag, Tags } from "../protocol/tags.js";
import { tagsFromList, tagsToList } from "../protocol/tags.js";

export interface NodeRef {
  nodeId?: string;
  sourceId?: string;
  cacheType?: string;
}

export interface ThingRecord extends NodeRef {
  /** Bare JID, lower-cased. */
  jid: string;
  /** Full JID it last registered from: where pushes (<claimed>, <removed>, <disowned>) go. */
  address: string;
  /** The discovery namespace it speaks (urn:xmpp:iot:discovery or urn:ieee:iot:disco:1.0). */
  ns: string;
  tags: Tags;
  /** Bare JID of the owner; undefined while unclaimed. */
  owner?: string;
  selfOwned: boolean;
  /** Claimed public (searchable unless removed); a private claim sets false. */
  isPublic: boolean;
  /** The owner took it out of searches. */
  removed: boolean;
}

/** The JSON form in the state file and journal. */
export interface StoredThing extends NodeRef {
  jid: string;
  address: string;
  ns: string;
  tags: Tag[];
  owner?: string;
  selfOwned?: boolean;
  isPublic: boolean;
  removed?: boolean;
}

export function recordKey(jid: string, node: NodeRef): string {
  return `${jid}\u0000${node.nodeId ?? ""}\u0000${node.sourceId ?? ""}\u0000${node.cacheType ?? ""}`;
}

export function keyOf(r: ThingRecord): string {
  return recordKey(r.jid, r);
}

export function isClaimed(r: ThingRecord): boolean {
  return r.owner !== undefined || r.selfOwned;
}

/** Found by searches: claimed (or self-owned), public and not removed. */
export function isSearchable(r: ThingRecord): boolean {
  return isClaimed(r) && r.isPublic && !r.removed;
}

export function toStored(r: ThingRecord): StoredThing {
  const s: StoredThing = { jid: r.jid, address: r.address, ns: r.ns, tags: tagsToList(r.tags), isPublic: r.isPublic };
  if (r.nodeId !== undefined) s.nodeId = r.nodeId;
  if (r.sourceId !== undefined) s.sourceId = r.sourceId;
  if (r.cacheType !== undefined) s.cacheType = r.cacheType;
  if (r.owner !== undefined) s.owner = r.owner;
  if (r.selfOwned) s.selfOwned = true;
  if (r.removed) s.removed = true;
  return s;
}

export function fromStored(s: StoredThing): ThingRecord {
  if (typeof s.jid !== "string" || typeof s.address !== "string" || !Array.isArray(s.tags)) throw new Error("not a stored Thing");
  const r: ThingRecord = {
    jid: s.jid,
    address: s.address,
    ns: s.ns,
    tags: tagsFromList(s.tags),
    selfOwned: s.selfOwned === true,
    isPublic: s.isPublic !== false,
    removed: s.removed === true,
  };
  if (s.nodeId !== undefined) r.nodeId = s.nodeId;
  if (s.sourceId !== undefined) r.sourceId = s.sourceId;
  if (s.cacheType !== undefined) r.cacheType = s.cacheType;
  if (s.owner !== undefined) r.owner = s.owner;
  return r;
}

/** "thing@example.org" or "thing@example.org (node imc1)". */
export function describe(r: ThingRecord): string {
  return r.nodeId === undefined ? r.jid : `${r.jid} (node ${r.nodeId})`;
}
