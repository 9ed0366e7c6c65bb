// Which WebSocket URLs the console connects to: wss:// always, ws:// only to this machine
// (loopback), so a password never crosses a network in clear text.
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Null when `url` is acceptable, else the reason shown next to the field. */
export function webSocketUrlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "not a URL (expected wss://host/xmpp-websocket)";
  }
  if (u.protocol === "wss:") return null;
  if (u.protocol === "ws:") return LOOPBACK.has(u.hostname) ? null : "ws:// is only allowed to localhost; use wss://";
  return `unsupported scheme ${u.protocol} (expected wss://)`;
}
