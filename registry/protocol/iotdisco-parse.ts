// Reading a claim URI pasted into a chat (docs/registry.md "Claim by chat"): the `iotdisco:`
// form thingd prints and puts in its QR code (`;`-separated NAME=VALUE, `#` before numeric
// names, percent-encoded, the registry as tag R), and the older XEP-0347 QR text
// `IoTDisco;NAME:VALUE;#NUM:VALUE` (`;` and `\` escaped with a backslash). Pure.
import { RegistryError } from "./errors.js";
import { numValue, strValue, tagKey, MAX_TAGS, type Tags } from "./tags.js";

export interface ClaimUri {
  tags: Tags;
  /** The R tag: the registry the Thing registered with. */
  registry?: string;
}

/** The first `iotdisco:…` or `IoTDisco;…` run of non-space characters in `text`. */
export function findClaimUri(text: string): string | undefined {
  const m = /(?:^|\s|<)(iotdisco:[^\s>]+|IoTDisco;[^\s>]+)/iu.exec(text);
  return m?.[1];
}

function add(tags: Tags, rawName: string, value: string, out: ClaimUri): void {
  const numeric = rawName.startsWith("#");
  const name = numeric ? rawName.slice(1) : rawName;
  const key = tagKey(name);
  if (!numeric && key === "R") {
    out.registry = value;
    return;
  }
  if (tags.has(key)) throw new RegistryError("bad-request", `tag ${key} appears twice`);
  if (tags.size >= MAX_TAGS) throw new RegistryError("bad-request", `too many tags (at most ${MAX_TAGS})`);
  tags.set(key, numeric ? { name, type: "num", value: numValue(value) } : { name, type: "str", value: strValue(value) });
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new RegistryError("bad-request", "bad percent-encoding in the claim URI");
  }
}

/** Splits on unescaped `;`, removing the backslash escapes. */
function splitEscaped(s: string): string[] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length) cur += s[++i];
    else if (c === ";") {
      parts.push(cur);
      cur = "";
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

export function parseClaimUri(uri: string): ClaimUri {
  const out: ClaimUri = { tags: new Map() };
  if (/^iotdisco:/iu.test(uri)) {
    const body = uri.slice("iotdisco:".length);
    for (const part of body.split(";")) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      if (eq <= 0) throw new RegistryError("bad-request", `"${part.slice(0, 40)}" is not NAME=VALUE`);
      const rawName = part.slice(0, eq);
      if (/[<>~]$/.test(rawName)) throw new RegistryError("bad-request", "a search URI cannot claim a Thing");
      add(out.tags, decode(rawName), decode(part.slice(eq + 1)), out);
    }
  } else if (/^IoTDisco;/iu.test(uri)) {
    for (const part of splitEscaped(uri.slice("IoTDisco;".length))) {
      if (part === "") continue;
      const colon = part.indexOf(":");
      if (colon <= 0) throw new RegistryError("bad-request", `"${part.slice(0, 40)}" is not NAME:VALUE`);
      add(out.tags, part.slice(0, colon), part.slice(colon + 1), out);
    }
  } else {
    throw new RegistryError("bad-request", "not an iotdisco: URI");
  }
  if (out.tags.size === 0) throw new RegistryError("bad-request", "the claim URI has no tags");
  return out;
}
