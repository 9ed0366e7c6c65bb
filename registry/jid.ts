// JID helpers for the registry: bare JIDs compare lower-cased (local part and domain are
// case-insensitive for every server we target; resources are kept as they are).
export function bareJid(jid: string): string {
  const slash = jid.indexOf("/");
  return (slash === -1 ? jid : jid.slice(0, slash)).toLowerCase();
}

/** A plausible JID: one optional '@' before a non-empty domain, no spaces, bounded length. */
export function isJid(s: string): boolean {
  return s.length > 0 && s.length <= 3071 && /^(?:[^@/\s"&'<>:]+@)?[^@/\s]+(?:\/.+)?$/u.test(s);
}
