// `iotdisco:` URI for the claim QR code (docs/protocol.md §2.5): `;`-separated NAME=VALUE pairs,
// `#` before numeric tag names, names and values percent-encoded, the registry as tag `R`.
// Pure: no I/O, so the daemon, the CLI and tests build the same string.

/** Percent-encode a tag name or value; `;`, `=` and `#` must never appear raw. */
function encode(s: string): string {
  // encodeURIComponent already escapes these three; the replace keeps that a guarantee.
  return encodeURIComponent(s).replace(/[;=#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Build `iotdisco:NAME=VALUE;#NUM=1.5;…;R=registry`. Tags keep their insertion order; numbers
 * get the `#` prefix and are written with String(n) (so 1.0 becomes "1"). A tag named R is
 * dropped when `registry` is given, so the address appears once, at the end.
 */
export function buildIotDiscoUri(tags: Record<string, string | number>, registry?: string): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(tags)) {
    if (registry !== undefined && name.toUpperCase() === "R") continue;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw new Error(`iotdisco: numeric tag ${name} is not a finite number`);
      parts.push(`#${encode(name)}=${encode(String(value))}`);
    } else {
      parts.push(`${encode(name)}=${encode(value)}`);
    }
  }
  if (registry !== undefined) parts.push(`R=${encode(registry)}`);
  return `iotdisco:${parts.join(";")}`;
}
