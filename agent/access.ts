// Who may read (protocol.md §3.1, no provisioning server): the owner (claim or config) and
// the configured readers. Compared on bare JIDs, case-insensitively in local and domain.
import { jid as parseJid } from "@xmpp/jid";

export function bareJid(address: string): string {
  try {
    return parseJid(address).bare().toString().toLowerCase();
  } catch {
    return "";
  }
}

export class AccessPolicy {
  #readers: Set<string>;

  constructor(
    readers: readonly string[],
    private readonly owner: () => string | undefined,
  ) {
    this.#readers = new Set(readers.map(bareJid));
  }

  isOwner(from: string): boolean {
    const owner = this.owner();
    return owner !== undefined && bareJid(owner) === bareJid(from);
  }

  canRead(from: string): boolean {
    const bare = bareJid(from);
    return bare !== "" && (this.isOwner(bare) || this.#readers.has(bare));
  }
}
