// Bare-JID normalisation, shared by the access policy, the provisioning client, the gate and the
// registry client. A leaf module (only @xmpp/jid) so that none of them has to import another.
import { jid as parseJid } from "@xmpp/jid";

// Parsing a JID (with XEP-0106 escaping detection) is the costliest step of an access check
// on the readout hot path; requesters are few, so remember recent answers.
const cache = new Map<string, string>();
const CACHE_MAX = 1024;

/** `local@domain` of an address, lower-cased; "" when it does not parse as a JID. */
export function bareJid(address: string): string {
  let bare = cache.get(address);
  if (bare !== undefined) return bare;
  try {
    bare = parseJid(address).bare().toString().toLowerCase();
  } catch {
    bare = "";
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(address, bare);
  return bare;
}
