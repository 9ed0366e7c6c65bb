// Who may read (protocol.md §3.1, no provisioning server): the owner (claim or config) and
// the configured readers. Compared on bare JIDs, case-insensitively in local and domain.
import { jid as parseJid } from "@xmpp/jid";

// Parsing a JID (with XEP-0106 escaping detection) is the costliest step of an access check
// on the readout hot path; requesters are few, so remember recent answers.
const cache = new Map<string, string>();
const CACHE_MAX = 1024;

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

export class AccessPolicy {
  #readers: Set<string>;
  #controllers: Set<string>;

  constructor(
    readers: readonly string[],
    private readonly owner: () => string | undefined,
    controllers: readonly string[] = [],
  ) {
    this.#readers = new Set(readers.map(bareJid));
    this.#controllers = new Set(controllers.map(bareJid));
  }

  setControllers(controllers: readonly string[]): void {
    this.#controllers = new Set(controllers.map(bareJid));
  }

  /** XEP-0325 control (protocol.md §3.1): the owner and `access.controllers`, nobody else. */
  canControl(from: string): boolean {
    const bare = bareJid(from);
    return bare !== "" && (this.isOwner(bare) || this.#controllers.has(bare));
  }

  setReaders(readers: readonly string[]): void {
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
