// Persistent Thing state (docs/protocol.md §2.7): registration status, owner, KEY.
// Written atomically (temp file, fsync, rename, fsync dir) with the previous copy kept as
// .bak, so a kill -9 or power cut at any moment leaves a readable state and the same KEY.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readdir, readFile, rename, copyFile, rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";

/** REMOVED: claimed, but the owner took it out of searches; no more <update>s (§2.4). */
export type RegistrationStatus = "UNREGISTERED" | "REGISTERED" | "CLAIMED" | "REMOVED";

export interface ThingState {
  version: 1;
  /** XEP-0347 KEY: 32 hex chars from a CSPRNG, made once (§2.3). */
  key: string;
  status: RegistrationStatus;
  /** Registry the status refers to. */
  registry?: string;
  /** Bare JID of the owner once claimed. */
  owner?: string;
  isPublic?: boolean;
  /** Tags as the registry holds them after our last <register>/<update> (§2.7). */
  sentTags?: Record<string, string | number>;
  /** The KEY was blanked with <update> after the claim (§2.3). */
  keyCleared?: boolean;
}

export const STATE_FILE = "thing-state.json";

export function newKey(): string {
  return randomBytes(16).toString("hex");
}

export function freshState(): ThingState {
  return { version: 1, key: newKey(), status: "UNREGISTERED" };
}

export function parseState(text: string): ThingState {
  const v = JSON.parse(text) as Partial<ThingState>;
  if (v.version !== 1 || typeof v.key !== "string" || !/^[0-9a-f]{32}$/.test(v.key)) throw new Error("not a thingd state file");
  if (v.status !== "UNREGISTERED" && v.status !== "REGISTERED" && v.status !== "CLAIMED" && v.status !== "REMOVED") throw new Error("bad status");
  return v as ThingState;
}

/**
 * Write `data` to `file` so that readers see the old or the new content, never a mix. The mode
 * is set on the temp file before the rename (fchmod ignores the umask), so the file never
 * appears with another mode.
 */
export async function writeFileAtomic(file: string, data: string, mode = 0o600): Promise<void> {
  const dir = path.dirname(file);
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await open(tmp, "w", 0o600);
  try {
    if (mode !== 0o600) await fh.chmod(mode);
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const dh = await open(dir, "r");
  try {
    await dh.sync(); // make the rename itself durable
  } finally {
    await dh.close();
  }
}

export class StateStore {
  readonly file: string;
  #state: ThingState | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly log: Logger,
  ) {
    this.file = path.join(dir, STATE_FILE);
  }

  get state(): ThingState {
    if (!this.#state) throw new Error("state not loaded");
    return this.#state;
  }

  /** Load the state (falling back to the .bak copy); create and persist a new one if none. */
  async load(): Promise<ThingState> {
    // 0750: the thingd group may reach the status socket and status.json (`thingd status`
    // without sudo); the state file itself stays 0600.
    const created = await mkdir(this.dir, { recursive: true, mode: 0o750 });
    if (created !== undefined) await chmod(this.dir, 0o750); // whatever the umask made it
    // A kill between creating a temp file and its rename leaves it behind, named after the dead
    // process; only one thingd uses a state dir, so every other temp file is garbage.
    for (const f of await readdir(this.dir)) {
      if (/^thing-state\.json(\.bak)?\.tmp(-\d+)?$/.test(f) && f !== `${STATE_FILE}.tmp-${process.pid}`) {
        await rm(path.join(this.dir, f), { force: true });
      }
    }
    for (const candidate of [this.file, `${this.file}.bak`]) {
      try {
        this.#state = parseState(await readFile(candidate, "utf8"));
        if (candidate !== this.file) this.log.warn({ file: this.file }, "state file unreadable; recovered the previous copy");
        return this.#state;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.log.warn({ err, file: candidate }, "state file unreadable");
      }
    }
    this.#state = freshState();
    await this.save(this.#state);
    this.log.info({ file: this.file }, "created new Thing state with a fresh KEY");
    return this.#state;
  }

  /** Apply a change and persist it; writes are serialised. */
  async update(patch: Partial<Omit<ThingState, "version" | "key">>): Promise<ThingState> {
    const next: ThingState = { ...this.state, ...patch };
    for (const k of Object.keys(next) as Array<keyof ThingState>) if (next[k] === undefined) delete next[k];
    this.#state = next;
    await this.save(next);
    return next;
  }

  save(state: ThingState): Promise<void> {
    const run = this.#queue.then(async () => {
      try {
        await copyFile(this.file, `${this.file}.bak.tmp`);
        await rename(`${this.file}.bak.tmp`, `${this.file}.bak`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        await rm(`${this.file}.bak.tmp`, { force: true });
      }
      await writeFileAtomic(this.file, `${JSON.stringify(state, null, 2)}\n`);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
