// The registrations in memory, with the indexes that keep a fleet fast: by key, by claim
// signature (every tag incl. KEY: one lookup per claim), by bare JID, by owner, and an equality
// index (name, type, value) over searchable Things so an `strEq`/`numEq` search reads only its
// candidates. Every change goes through put()/delete(), which keep the indexes and hand the
// change to the journal (`onChange`), in the same tick: a racing request sees the new state.
import { equalityKeys, indexKey, matches, type SearchRequest } from "../protocol/search.js";
import { signature } from "../protocol/tags.js";
import { isSearchable, keyOf, type ThingRecord } from "./record.js";

export type Change = { put: ThingRecord } | { del: string };

function addTo<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function removeFrom<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}

export interface SearchPage {
  things: ThingRecord[];
  more: boolean;
}

export class ThingStore {
  readonly #byKey = new Map<string, ThingRecord>();
  readonly #bySignature = new Map<string, Set<string>>();
  readonly #byJid = new Map<string, Set<string>>();
  readonly #byOwner = new Map<string, Set<string>>();
  readonly #eq = new Map<string, Set<string>>();
  /** Searchable keys in insertion order: the order search pages are cut in. */
  readonly #searchable = new Set<string>();

  constructor(private readonly onChange: (change: Change) => void = () => {}) {}

  get size(): number {
    return this.#byKey.size;
  }

  get(key: string): ThingRecord | undefined {
    return this.#byKey.get(key);
  }

  all(): IterableIterator<ThingRecord> {
    return this.#byKey.values();
  }

  /** Registrations of one bare JID (the Thing and its nodes). */
  ofJid(jid: string): ThingRecord[] {
    return [...(this.#byJid.get(jid) ?? [])].map((k) => this.#byKey.get(k)!);
  }

  ownedBy(owner: string): ThingRecord[] {
    return [...(this.#byOwner.get(owner) ?? [])].map((k) => this.#byKey.get(k)!);
  }

  /** Things whose tags are exactly `tags` (same signature). */
  withSignature(sig: string): ThingRecord[] {
    return [...(this.#bySignature.get(sig) ?? [])].map((k) => this.#byKey.get(k)!);
  }

  /** Replace (or add) a record. `silent`: loading from disk, no journal entry. */
  put(r: ThingRecord, silent = false): void {
    const key = keyOf(r);
    const old = this.#byKey.get(key);
    if (old) this.#unindex(key, old);
    this.#byKey.set(key, r);
    this.#index(key, r);
    if (!silent) this.onChange({ put: r });
  }

  delete(key: string): boolean {
    const old = this.#byKey.get(key);
    if (!old) return false;
    this.#unindex(key, old);
    this.#byKey.delete(key);
    this.onChange({ del: key });
    return true;
  }

  search(req: SearchRequest): SearchPage {
    const found: ThingRecord[] = [];
    if (req.namesKey) return { things: found, more: false };
    let candidates: Set<string> = this.#searchable;
    for (const k of equalityKeys(req)) {
      const s = this.#eq.get(k);
      if (!s) return { things: found, more: false };
      if (s.size < candidates.size) candidates = s;
    }
    let skip = req.offset;
    for (const key of candidates) {
      const r = this.#byKey.get(key)!;
      if (!isSearchable(r) || !matches(req, r.tags)) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      if (found.length === req.maxCount) return { things: found, more: true };
      found.push(r);
    }
    return { things: found, more: false };
  }

  #index(key: string, r: ThingRecord): void {
    addTo(this.#bySignature, signature(r.tags), key);
    addTo(this.#byJid, r.jid, key);
    if (r.owner !== undefined) addTo(this.#byOwner, r.owner, key);
    if (isSearchable(r)) {
      this.#searchable.add(key);
      for (const [name, t] of r.tags) if (name !== "KEY") addTo(this.#eq, indexKey(name, t.type, t.value), key);
    }
  }

  #unindex(key: string, r: ThingRecord): void {
    removeFrom(this.#bySignature, signature(r.tags), key);
    removeFrom(this.#byJid, r.jid, key);
    if (r.owner !== undefined) removeFrom(this.#byOwner, r.owner, key);
    if (this.#searchable.delete(key)) {
      for (const [name, t] of r.tags) if (name !== "KEY") removeFrom(this.#eq, indexKey(name, t.type, t.value), key);
    }
  }
}
