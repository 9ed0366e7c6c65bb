// The body of a readout request, shared by both dialects: they differ only in the names of
// the type flags, node and field filters and tokens (docs/protocol.md §1.1, §1.8), described here
// by a Vocabulary. Pure; throws ProtocolError(bad-request).
import type { Element } from "@xmpp/xml";
import { ProtocolError } from "../errors.js";
import { parseXsBoolean, parseXsDateTime } from "./xsd.js";
import type { NodeRef, ReadoutRequest, TypeFlag } from "./readout-request.js";

export interface Vocabulary {
  /** Request attribute → the field type it asks for. */
  types: ReadonlyArray<readonly [string, TypeFlag]>;
  /** The attribute asking for every historical period, and those periods. */
  historical: readonly [string, readonly TypeFlag[]];
  /** Every type, for `all` or a request naming none (§1.1 [rec]). */
  all: readonly TypeFlag[];
  node: { element: string; id: string; source: string; partition: string };
  field: { element: string; name: string };
  tokens: { service: string; device: string; user: string };
}

/** Everything of a <req> but its id, which each dialect reads itself. */
export function parseRequestBody(req: Element, v: Vocabulary): ReadoutRequest {
  const a = req.attrs;
  const flag = (name: string) => parseXsBoolean(a[name], `req@${name}`) === true;

  const types = new Set<TypeFlag>();
  for (const [attr, type] of v.types) if (flag(attr)) types.add(type);
  if (flag(v.historical[0])) for (const t of v.historical[1]) types.add(t);
  if (flag("all") || types.size === 0) for (const t of v.all) types.add(t);

  const nodes: NodeRef[] = [];
  const fieldNames = new Set<string>();
  for (const child of req.getChildElements()) {
    if (child.name === v.node.element) {
      const nodeId = child.attrs[v.node.id];
      if (!nodeId) throw new ProtocolError("bad-request", `req/${v.node.element}: missing attribute "${v.node.id}"`);
      nodes.push(compact({ nodeId, sourceId: child.attrs[v.node.source], cacheType: child.attrs[v.node.partition] }));
    } else if (child.name === v.field.element) {
      const name = child.attrs[v.field.name];
      if (!name) throw new ProtocolError("bad-request", `req/${v.field.element}: missing attribute "${v.field.name}"`);
      fieldNames.add(name);
    }
    // Other children: ignored.
  }

  const date = (name: "from" | "to" | "when") => (a[name] === undefined ? undefined : parseXsDateTime(a[name]!, `req@${name}`));
  return compact({
    types,
    nodes,
    fieldNames,
    from: date("from"),
    to: date("to"),
    when: date("when"),
    serviceToken: a[v.tokens.service],
    deviceToken: a[v.tokens.device],
    userToken: a[v.tokens.user],
  });
}

/** Drops undefined properties (exactOptionalPropertyTypes-style objects for comparisons). */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}
