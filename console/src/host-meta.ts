// XEP-0156: find the server's WebSocket endpoint from /.well-known/host-meta(.json).
const REL = "urn:xmpp:alt-connections:websocket";

export function parseHostMetaJson(text: string): string | undefined {
  const doc = JSON.parse(text) as { links?: Array<{ rel?: unknown; href?: unknown }> };
  const link = (doc.links ?? []).find((l) => l.rel === REL && typeof l.href === "string");
  return link?.href as string | undefined;
}

export function parseHostMetaXml(text: string): string | undefined {
  const doc = new DOMParser().parseFromString(text, "application/xml");
  for (const link of Array.from(doc.getElementsByTagName("Link"))) {
    if (link.getAttribute("rel") === REL && link.getAttribute("href")) return link.getAttribute("href") ?? undefined;
  }
  return undefined;
}

/** The domain's WebSocket URL, or undefined when host-meta does not name one (or cannot be fetched). */
export async function discoverWebSocket(domain: string, signal?: AbortSignal): Promise<string | undefined> {
  const base = domain === "localhost" ? `${location.protocol}//${location.host}` : `https://${domain}`;
  for (const [path, parse] of [
    ["/.well-known/host-meta.json", parseHostMetaJson],
    ["/.well-known/host-meta", parseHostMetaXml],
  ] as const) {
    try {
      const res = await fetch(base + path, { signal: signal ?? null, credentials: "omit" });
      if (!res.ok) continue;
      const href = parse(await res.text());
      if (href) return href;
    } catch {
      /* not served, or blocked by CORS: try the next form */
    }
  }
  return undefined;
}
