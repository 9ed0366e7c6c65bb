// The `xmpp:` section of a sensor map for a Thing on a local test Prosody (demo, bench, tests).
import type { ProsodyServer } from "./local-prosody.js";

export function localXmppSection(server: ProsodyServer, o: { resource: string; password?: string; passwordFile?: string; keepalive?: string }): string {
  const secret = o.passwordFile ? `password_file: ${o.passwordFile}` : `password: ${o.password ?? "thing-pw"}`;
  return `xmpp:
  service: ${server.service}
  jid: thing@localhost
  ${secret}
  resource: ${o.resource}
  tls: { ca: ${server.caFile} }
${o.keepalive ? `  keepalive: ${o.keepalive}\n` : ""}`;
}
