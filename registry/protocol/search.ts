// <search offset maxCount> with comparison operators (XEP-0347 search; docs/registry.md):
// strEq strNEq strGt strGtEq strLt strLtEq strRange strNRange strMask and numEq … numNRange.
// All operators must hold (AND). A tag the Thing lacks, or of the other type, never matches.
// An operator on KEY makes the result empty. Pure: parse the request, then test records.
import type { Element } from "@xmpp/xml";
import { RegistryError } from "./errors.js";
import { numValue, strValue, tagKey, type Tags } from "./tags.js";

type Cmp = "Eq" | "NEq" | "Gt" | "GtEq" | "Lt" | "LtEq";

export type Operator =
  | { kind: "cmp"; type: "str" | "num"; key: string; op: Cmp; value: string | number }
  | { kind: "range"; type: "str" | "num"; key: string; negate: boolean; min: string | number; minIncluded: boolean; max: string | number; maxIncluded: boolean }
  | { kind: "mask"; key: string; pattern: RegExp };

export interface SearchRequest {
  offset: number;
  maxCount: number;
  operators: Operator[];
  /** An operator named KEY: nothing may be found. */
  namesKey: boolean;
}

export const MAX_OPERATORS = 32;
export const MAX_COUNT_LIMIT = 100;

function bool(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new RegistryError("bad-request", `bad boolean ${JSON.stringify(v)}`);
}

function nonNegInt(v: string | undefined, dflt: number, what: string): number {
  if (v === undefined) return dflt;
  if (!/^\d{1,9}$/.test(v)) throw new RegistryError("bad-request", `${what} must be a non-negative integer`);
  return Number(v);
}

function constant(type: "str" | "num", v: string | undefined): string | number {
  if (type === "num") return Number(numValue(v));
  if (v === undefined) throw new RegistryError("bad-request", "operator without a value");
  return strValue(v);
}

/** `*` (or the given wildcard) matches any run of characters; everything else literally. */
export function maskPattern(value: string, wildcard: string): RegExp {
  const parts = wildcard === "" ? [value] : value.split(wildcard);
  return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "su");
}

export function parseSearch(search: Element): SearchRequest {
  const offset = nonNegInt(search.attrs.offset, 0, "offset");
  const maxCount = Math.min(MAX_COUNT_LIMIT, nonNegInt(search.attrs.maxCount, MAX_COUNT_LIMIT, "maxCount"));
  const children = search.getChildElements();
  if (children.length === 0) throw new RegistryError("bad-request", "a search needs at least one operator");
  if (children.length > MAX_OPERATORS) throw new RegistryError("bad-request", `too many operators (at most ${MAX_OPERATORS})`);
  const operators: Operator[] = [];
  let namesKey = false;
  for (const el of children) {
    const m = /^(str|num)(Eq|NEq|Gt|GtEq|Lt|LtEq|Range|NRange|Mask)$/.exec(el.name);
    if (!m) throw new RegistryError("bad-request", `unknown search operator <${el.name}>`);
    const type = m[1] as "str" | "num";
    const what = m[2]!;
    const key = tagKey(el.attrs.name);
    if (key === "KEY") namesKey = true;
    if (what === "Mask") {
      if (type !== "str") throw new RegistryError("bad-request", "numMask is not an operator");
      const wildcard = el.attrs.wildcard ?? "*";
      if (wildcard.length > 1) throw new RegistryError("bad-request", "wildcard must be one character");
      operators.push({ kind: "mask", key, pattern: maskPattern(strValue(el.attrs.value ?? ""), wildcard) });
    } else if (what === "Range" || what === "NRange") {
      operators.push({
        kind: "range",
        type,
        key,
        negate: what === "NRange",
        min: constant(type, el.attrs.min),
        minIncluded: bool(el.attrs.minIncluded, true),
        max: constant(type, el.attrs.max),
        maxIncluded: bool(el.attrs.maxIncluded, true),
      });
    } else {
      operators.push({ kind: "cmp", type, key, op: what as Cmp, value: constant(type, el.attrs.value) });
    }
  }
  return { offset, maxCount, operators, namesKey };
}

function compare(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpHolds(op: Cmp, c: number): boolean {
  switch (op) {
    case "Eq":
      return c === 0;
    case "NEq":
      return c !== 0;
    case "Gt":
      return c > 0;
    case "GtEq":
      return c >= 0;
    case "Lt":
      return c < 0;
    case "LtEq":
      return c <= 0;
  }
}

/** Does one operator hold for these tags? */
export function holds(op: Operator, tags: Tags): boolean {
  const tag = tags.get(op.key);
  if (!tag) return false;
  if (op.kind === "mask") return tag.type === "str" && op.pattern.test(tag.value);
  if (tag.type !== op.type) return false;
  const v = op.type === "num" ? Number(tag.value) : tag.value;
  if (op.kind === "cmp") return cmpHolds(op.op, compare(v, op.value));
  const aboveMin = op.minIncluded ? compare(v, op.min) >= 0 : compare(v, op.min) > 0;
  const belowMax = op.maxIncluded ? compare(v, op.max) <= 0 : compare(v, op.max) < 0;
  const inside = aboveMin && belowMax;
  return op.negate ? !inside : inside;
}

export function matches(req: SearchRequest, tags: Tags): boolean {
  if (req.namesKey) return false;
  return req.operators.every((op) => holds(op, tags));
}

/** Equality operators usable through the registry's (name, type, value) index. */
export function equalityKeys(req: SearchRequest): string[] {
  return req.operators.flatMap((op) => (op.kind === "cmp" && op.op === "Eq" ? [indexKey(op.key, op.type, String(op.value))] : []));
}

/** Key of the equality index: upper-cased name, type and canonical value. */
export function indexKey(key: string, type: "str" | "num", value: string): string {
  return `${key}\u0001${type}\u0001${value}`;
}
