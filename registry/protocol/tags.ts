// Meta tags as the registry reads them (docs/registry.md, "Meta tags"): <str name value> and
// <num name value>. Names are case-insensitive (kept as sent, compared upper-cased), at most 32
// characters without ':', '#' or white space; string values at most 128 characters; numeric
// values finite doubles. Pure: parsing never touches the store.
import type { Element } from "@xmpp/xml";
import { RegistryError } from "./errors.js";

export interface Tag {
  /** The name as sent (first spelling wins). */
  name: string;
  type: "str" | "num";
  /** str: the text; num: the canonical String(Number(value)). */
  value: string;
}

/** Tags by upper-cased name. */
export type Tags = Map<string, Tag>;

export const MAX_TAG_NAME = 32;
export const MAX_STR_VALUE = 128;
/** More tags than any real Thing registers; a bound on memory per registration. */
export const MAX_TAGS = 48;

const BAD_NAME = /[:#\s]/u;

/** Checks one name; returns the upper-cased key. */
export function tagKey(name: string | undefined): string {
  if (name === undefined || name === "") throw new RegistryError("bad-request", "a tag needs a name");
  if (name.length > MAX_TAG_NAME) throw new RegistryError("bad-request", `tag name longer than ${MAX_TAG_NAME} characters`);
  if (BAD_NAME.test(name)) throw new RegistryError("bad-request", `tag name ${JSON.stringify(name)} contains ':', '#' or white space`);
  return name.toUpperCase();
}

/** Canonical text of a numeric value; throws on anything that is not a finite xs:double. */
export function numValue(value: string | undefined): string {
  const text = (value ?? "").trim();
  const n = text === "" ? NaN : Number(text);
  if (!Number.isFinite(n)) throw new RegistryError("bad-request", `numeric tag value ${JSON.stringify(value ?? "")} is not a number`);
  return String(n);
}

export function strValue(value: string | undefined): string {
  const v = value ?? "";
  if (v.length > MAX_STR_VALUE) throw new RegistryError("bad-request", `string tag value longer than ${MAX_STR_VALUE} characters`);
  return v;
}

/**
 * The <str>/<num> children of `el`. `allowEmpty`: a str tag with value '' is kept (update: it
 * removes the tag). Other children are an error: a registration is all tags.
 */
export function parseTags(el: Element, opts: { allowEmpty?: boolean } = {}): Tags {
  const tags: Tags = new Map();
  const children = el.getChildElements();
  if (children.length > MAX_TAGS) throw new RegistryError("bad-request", `too many tags (at most ${MAX_TAGS})`);
  for (const child of children) {
    if (child.name !== "str" && child.name !== "num") throw new RegistryError("bad-request", `unexpected element <${child.name}> among the tags`);
    const key = tagKey(child.attrs.name);
    if (tags.has(key)) throw new RegistryError("bad-request", `tag ${key} appears twice`);
    const value = child.name === "num" ? numValue(child.attrs.value) : strValue(child.attrs.value);
    if (child.name === "str" && value === "" && !opts.allowEmpty) continue;
    tags.set(key, { name: child.attrs.name ?? key, type: child.name, value });
  }
  return tags;
}

/**
 * The claim signature: every tag (KEY included), by upper-cased name, type and canonical value,
 * in name order. Two tag sets are "exactly the same meta data" when their signatures are equal.
 */
export function signature(tags: Tags): string {
  return [...tags.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, t]) => `${k}\u0001${t.type}\u0001${t.value}`)
    .join("\u0000");
}

/** Plain-object form for the state file and for tests. */
export function tagsToList(tags: Tags): Tag[] {
  return [...tags.values()];
}

export function tagsFromList(list: readonly Tag[]): Tags {
  return new Map(list.map((t) => [t.name.toUpperCase(), { ...t }]));
}
