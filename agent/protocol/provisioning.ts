// XEP-0324 Internet of Things - Provisioning, v0.5.1 (Retracted); docs/protocol.md §3.1.
// Pure build/parse of the questions a Thing asks its provisioning server (isFriend, canRead,
// canControl), their responses, and what the server may send unasked (clearCache, friend,
// unfriend). No client, no timers: see ../provisioning.ts.
import { xml, type Element } from "@xmpp/xml";
import { NS_PROVISIONING } from "./ns.js";
import type { NodeRef, TypeFlag } from "./readout-request.js";

export interface Tokens {
  serviceToken?: string;
  deviceToken?: string;
  userToken?: string;
}

/** What a reader asks for: the parts of a readout request the provisioning server judges. */
export interface ReadQuestion extends Tokens {
  types: ReadonlySet<TypeFlag>;
  nodes: readonly NodeRef[];
  fieldNames: ReadonlySet<string>;
}

/** An answer; when allowed it may narrow the request (undefined = as requested). */
export interface ProvisioningAnswer {
  result: boolean;
  nodes?: string[];
  /** Fields (canRead) or parameters (canControl) allowed. */
  names?: string[];
}

function tokenAttrs(t: Tokens): Record<string, string> {
  return {
    ...(t.serviceToken !== undefined && { serviceToken: t.serviceToken }),
    ...(t.deviceToken !== undefined && { deviceToken: t.deviceToken }),
    ...(t.userToken !== undefined && { userToken: t.userToken }),
  };
}

function nodeElements(nodes: readonly NodeRef[]): Element[] {
  return nodes.map((n) => xml("node", { nodeId: n.nodeId, ...(n.sourceId && { sourceId: n.sourceId }), ...(n.cacheType && { cacheType: n.cacheType }) }));
}

function isTrue(v: string | undefined): boolean {
  return v === "true" || v === "1";
}

/** <isFriend jid/> on a presence subscription request (bare JID). */
export function buildIsFriend(jid: string): Element {
  return xml("isFriend", { xmlns: NS_PROVISIONING, jid });
}

/** <canRead jid [type flags] [tokens]> + <node>/<field> of the request. */
export function buildCanRead(jid: string, q: ReadQuestion): Element {
  const flags: Record<string, string> = {};
  for (const t of q.types) flags[t] = "true";
  return xml(
    "canRead",
    { xmlns: NS_PROVISIONING, jid, ...flags, ...tokenAttrs(q) },
    ...nodeElements(q.nodes),
    ...[...q.fieldNames].map((name) => xml("field", { name })),
  );
}

/** <canControl jid [tokens]> + <node>/<parameter name> of the set request. */
export function buildCanControl(jid: string, nodeIds: readonly string[], paramNames: readonly string[], tokens: Tokens = {}): Element {
  return xml(
    "canControl",
    { xmlns: NS_PROVISIONING, jid, ...tokenAttrs(tokens) },
    ...nodeIds.map((nodeId) => xml("node", { nodeId })),
    ...paramNames.map((name) => xml("parameter", { name })),
  );
}

function answer(iqResult: Element, name: string, itemName: "field" | "parameter"): ProvisioningAnswer {
  const el = iqResult.getChild(name, NS_PROVISIONING);
  if (!el) return { result: false }; // no answer we understand: deny
  if (!isTrue(el.attrs.result)) return { result: false };
  const nodes = el.getChildren("node").map((n) => n.attrs.nodeId).filter((n): n is string => !!n);
  const names = el.getChildren(itemName).map((f) => f.attrs.name).filter((n): n is string => !!n);
  return { result: true, ...(nodes.length > 0 && { nodes }), ...(names.length > 0 && { names }) };
}

/** <isFriendResponse jid result/>; anything else counts as a refusal. */
export function parseIsFriendResponse(iqResult: Element): boolean {
  return answer(iqResult, "isFriendResponse", "field").result;
}

/** <canReadResponse jid result> with optional allowed <node>/<field> lists (§3.1). */
export function parseCanReadResponse(iqResult: Element): ProvisioningAnswer {
  return answer(iqResult, "canReadResponse", "field");
}

/** <canControlResponse jid result> with optional allowed <node>/<parameter> lists (§3.1). */
export function parseCanControlResponse(iqResult: Element): ProvisioningAnswer {
  return answer(iqResult, "canControlResponse", "parameter");
}

export function buildClearCacheResponse(): Element {
  return xml("clearCacheResponse", { xmlns: NS_PROVISIONING });
}

export interface FriendshipNotice {
  kind: "friend" | "unfriend";
  jid: string;
}

/** <message><friend jid/></message> or <unfriend jid/>; undefined for any other message. */
export function parseFriendshipMessage(message: Element): FriendshipNotice | undefined {
  for (const kind of ["friend", "unfriend"] as const) {
    const el = message.getChild(kind, NS_PROVISIONING);
    if (el?.attrs.jid) return { kind, jid: el.attrs.jid };
  }
  return undefined;
}

/** Cache key of a question: its XML without the IQ around it (same question, same answer). */
export function questionKey(question: Element): string {
  return question.toString();
}
