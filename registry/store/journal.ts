// Durable registry state without rewriting 10,000 entries per change: a snapshot
// (registry-state.json, written atomically: temp file, fsync, rename, fsync dir) plus an
// append-only journal (registry-journal.jsonl) of whole-record changes, each line numbered.
// Appends are group-committed: the lines queued while one fdatasync runs go out in the next
// write, and every append() resolves only once its line is on disk, so a request is answered
// only after its change would survive a kill -9 or a power cut. On load the journal is replayed
// over the snapshot (lines at or below the snapshot's number are already in it; a torn last
// line is dropped), and the journal is folded into a new snapshot once it grows past the
// number of Things (or 1,000 lines).
import { mkdir, open, readFile, readdir, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { writeFileAtomic } from "../../agent/ownership/state.js";
import type { StoredThing } from "./record.js";

export const SNAPSHOT_FILE = "registry-state.json";
export const JOURNAL_FILE = "registry-journal.jsonl";

export type JournalEntry = { n: number; put: StoredThing } | { n: number; del: string };

interface Snapshot {
  version: 1;
  n: number;
  things: StoredThing[];
}

export interface LoadedState {
  things: Map<string, StoredThing>;
  /** Number of the last change loaded. */
  n: number;
  /** Journal lines replayed (0 after a clean compaction). */
  replayed: number;
  /** A torn or unreadable line was dropped. */
  dropped: number;
}

/** Reads the snapshot and journal of `dir` without changing anything (also for `list`). */
export async function readState(dir: string, keyOf: (t: StoredThing) => string): Promise<LoadedState> {
  const things = new Map<string, StoredThing>();
  let n = 0;
  try {
    const snap = JSON.parse(await readFile(path.join(dir, SNAPSHOT_FILE), "utf8")) as Snapshot;
    if (snap.version !== 1 || !Array.isArray(snap.things) || typeof snap.n !== "number") throw new Error(`${SNAPSHOT_FILE}: not a registry state file`);
    for (const t of snap.things) things.set(keyOf(t), t);
    n = snap.n;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  let replayed = 0;
  let dropped = 0;
  let text = "";
  try {
    text = await readFile(path.join(dir, JOURNAL_FILE), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let e: JournalEntry;
    try {
      e = JSON.parse(line) as JournalEntry;
      if (typeof e.n !== "number") throw new Error("no number");
    } catch {
      dropped++;
      continue;
    }
    if (e.n <= n) continue;
    n = e.n;
    replayed++;
    if ("put" in e) things.set(keyOf(e.put), e.put);
    else things.delete(e.del);
  }
  return { things, n, replayed, dropped };
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export class Journal {
  #fh: FileHandle | undefined;
  #n = 0;
  #lines: string[] = [];
  #waiters: Waiter[] = [];
  #flushing: Promise<void> | undefined;
  #sinceSnapshot = 0;
  #closed = false;

  constructor(
    readonly dir: string,
    private readonly log: Logger,
    /** The whole current state, for a snapshot. */
    private readonly snapshot: () => StoredThing[],
    /** How many Things there are: the journal is folded once it has more lines than that. */
    private readonly count: () => number,
  ) {}

  /** Load, then fold everything into a fresh snapshot and start an empty journal. */
  async open(keyOf: (t: StoredThing) => string): Promise<LoadedState> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const f of await readdir(this.dir)) {
      if (f.startsWith(`${SNAPSHOT_FILE}.tmp`)) await rm(path.join(this.dir, f), { force: true });
    }
    const loaded = await readState(this.dir, keyOf);
    if (loaded.dropped > 0) this.log.warn({ dropped: loaded.dropped }, "dropped unreadable journal lines (a write cut short by a crash)");
    this.#n = loaded.n;
    await writeFileAtomic(
      path.join(this.dir, SNAPSHOT_FILE),
      JSON.stringify({ version: 1, n: this.#n, things: [...loaded.things.values()] } satisfies Snapshot),
    );
    // Append mode: every write lands at the end, also after the truncate of a compaction.
    await (await open(path.join(this.dir, JOURNAL_FILE), "w", 0o600)).close();
    this.#fh = await open(path.join(this.dir, JOURNAL_FILE), "a", 0o600);
    await this.#fh.sync();
    return loaded;
  }

  /** Queues one change; resolves once it is on disk. */
  append(change: { put: StoredThing } | { del: string }): Promise<void> {
    if (this.#closed || !this.#fh) return Promise.reject(new Error("journal closed"));
    const entry: JournalEntry = "put" in change ? { n: ++this.#n, put: change.put } : { n: ++this.#n, del: change.del };
    this.#lines.push(`${JSON.stringify(entry)}\n`);
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    // #flush clears #flushing in the same tick it sees the queue empty: no line is left behind.
    this.#flushing ??= this.#flush();
    return done;
  }

  /** Everything queued so far is on disk. */
  async drain(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async close(): Promise<void> {
    await this.drain();
    this.#closed = true;
    await this.#fh?.close();
    this.#fh = undefined;
  }

  /** Clears #flushing itself, with no await between seeing the queue empty and the clear. */
  async #flush(): Promise<void> {
    for (;;) {
      if (this.#lines.length === 0) {
        this.#flushing = undefined;
        return;
      }
      const lines = this.#lines;
      const waiters = this.#waiters;
      this.#lines = [];
      this.#waiters = [];
      try {
        await this.#fh!.write(lines.join(""));
        await this.#fh!.datasync();
        this.#sinceSnapshot += lines.length;
        for (const w of waiters) w.resolve();
      } catch (err) {
        this.log.error({ err }, "could not write the registry journal");
        for (const w of waiters) w.reject(err as Error);
      }
      if (this.#sinceSnapshot > Math.max(1000, this.count())) await this.#compact();
    }
  }

  /** A new snapshot at the current number, then an empty journal (lines it holds are skipped on load). */
  async #compact(): Promise<void> {
    const n = this.#n;
    const things = this.snapshot();
    try {
      const started = Date.now();
      await writeFileAtomic(path.join(this.dir, SNAPSHOT_FILE), JSON.stringify({ version: 1, n, things } satisfies Snapshot));
      await this.#fh!.truncate(0);
      await this.#fh!.sync();
      this.#sinceSnapshot = 0;
      this.log.debug({ things: things.length, ms: Date.now() - started }, "registry journal folded into a new snapshot");
    } catch (err) {
      this.log.error({ err }, "could not write a registry snapshot; the journal keeps growing");
    }
  }
}
