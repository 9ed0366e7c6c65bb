// Placeholders that let one sensor map serve many boards (README "Fleets"): `{serial}`,
// `{hostname}` and `{mac}` in `xmpp.jid`, `xmpp.resource` and `registry.meta` values are
// replaced by this board's facts when the map is loaded. Pure but for `boardFacts()`.
import { networkInterfaces, hostname as osHostname } from "node:os";
import { boardSerial, DEFAULT_BOARD_PATHS, type BoardPaths } from "../ownership/board.js";

export const PLACEHOLDER_NAMES = ["serial", "hostname", "mac"] as const;
export type PlaceholderName = (typeof PLACEHOLDER_NAMES)[number];
export type BoardFacts = Readonly<Record<PlaceholderName, string | undefined>>;

const PLACEHOLDER = /\{([^{}\s]*)\}/g;

/** The `{name}`s in `text` that are not one of PLACEHOLDER_NAMES. */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? "").filter((n) => !(PLACEHOLDER_NAMES as readonly string[]).includes(n));
}

/** The known placeholders used in `text` whose fact is missing on this board. */
export function missingFacts(text: string, facts: BoardFacts): PlaceholderName[] {
  return [...text.matchAll(PLACEHOLDER)]
    .map((m) => m[1] as PlaceholderName)
    .filter((n) => (PLACEHOLDER_NAMES as readonly string[]).includes(n) && facts[n] === undefined);
}

export function hasPlaceholders(text: string): boolean {
  return PLACEHOLDER.test(text) && ((PLACEHOLDER.lastIndex = 0), true);
}

/** `text` with every known placeholder replaced (unknown ones are left; the loader reports them). */
export function expandPlaceholders(text: string, facts: BoardFacts): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const value = (PLACEHOLDER_NAMES as readonly string[]).includes(name) ? facts[name as PlaceholderName] : undefined;
    return value ?? whole;
  });
}

/**
 * JID-safe form of a fact: lower case, and only characters that are valid in a JID local part
 * and a resource (RFC 7622 forbids `@ / : ' " & < >` and whitespace in local parts).
 */
export function jidSafe(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9._-]/g, "-");
}

export interface FactSources {
  board?: BoardPaths;
  hostname?: () => string;
  interfaces?: () => ReturnType<typeof networkInterfaces>;
}

/**
 * This board's facts. serial: as the SN meta tag (ownership/board.ts: CPU serial, device-tree
 * serial-number, machine id); hostname: the kernel's; mac: the first non-loopback interface
 * with a real address, by interface name order, as 12 hex digits without separators.
 */
export function boardFacts(sources: FactSources = {}): BoardFacts {
  const serial = boardSerial(sources.board ?? DEFAULT_BOARD_PATHS);
  const host = (sources.hostname ?? osHostname)();
  return {
    serial: serial !== undefined ? jidSafe(serial) : undefined,
    hostname: host ? jidSafe(host) : undefined,
    mac: firstMac((sources.interfaces ?? networkInterfaces)()),
  };
}

function firstMac(interfaces: ReturnType<typeof networkInterfaces>): string | undefined {
  for (const name of Object.keys(interfaces).sort()) {
    for (const addr of interfaces[name] ?? []) {
      if (addr.internal || addr.mac === "00:00:00:00:00:00") continue;
      return addr.mac.replace(/:/g, "").toLowerCase();
    }
  }
  return undefined;
}
