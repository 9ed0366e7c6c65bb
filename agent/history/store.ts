// The local history store: every polled numeric/boolean value, kept for `keep` and at most
// `max_size` bytes on disk, written in batches.
//
// Why an append-only segment format and not SQLite: better-sqlite3 is a native addon whose
// install step downloads a prebuilt binary (or needs a C++ toolchain to build one); on a Pi
// without a compiler, or an install that cannot reach the download host, thingd would not
// install at all. node:sqlite needs Node 22. What we need is small: append batches, drop
// whole old files, and scan a time range. So:
//
// - A folder of segment files `<seq>.seg`, written by one process at a time. Each flush
//   appends ONE line "<crc32> <json>\n" holding the whole batch, then fdatasync: one write per
//   flush (default 30 s or 1000 samples), never one per sample, which is what wears SD cards.
// - A process never appends to a segment a previous process wrote: after a restart or a
//   kill -9 it starts a new segment, so a torn last line can only be the last line of a
//   segment. Readers skip lines whose CRC fails or that have no "\n". What was flushed stays
//   readable; what was buffered and not yet flushed when the process died is lost.
// - Retention deletes whole segments: segments rotate at max_size/16 bytes or after keep/16,
//   so at most ~1/16 over either limit is held on disk; queries never return samples older
//   than `keep`.
// - Reads are synchronous. Raw samples and minute buckets scan only the segments overlapping
//   the asked range, plus the unflushed buffer (so a readout sees values not yet on disk).
//   Hour-and-longer buckets come from hourly partials kept in memory per segment (built by
//   the scan at open and at each flush): measured on 35 MB (1.3 M samples), a 31-day hourly
//   aggregate took ~3 s by rescanning and takes ~15 ms this way.
import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { Field } from "../../drivers/types.js";
import { addPartial, addSample, aggregate, bucketStart, finishBuckets, firstBucketFrom, sampleRange, type Bucket, type Buckets, type Period } from "./aggregate.js";
import { decodeSegment, encodeRecord, type Sample } from "./record.js";
import { MIN_PLAUSIBLE_TIME } from "../ops/clock.js";

export interface HistoryStoreOptions {
  /** Folder of the segment files (created if missing). */
  dir: string;
  keepMs: number;
  maxBytes: number;
  /** Flush period (a timer, started by start()). */
  flushMs: number;
  /** Flush as soon as this many samples are buffered. */
  flushSamples?: number;
  log?: Logger;
  /** Clock, for tests. */
  now?: () => number;
}

export const DEFAULT_FLUSH_SAMPLES = 1000;

interface Segment {
  seq: number;
  file: string;
  bytes: number;
  /** Sample time range; Infinity/-Infinity while empty. */
  minT: number;
  maxT: number;
  /** First write (ms, our clock): rotation by age. */
  createdAt: number;
  /** Hourly partial buckets of every series, kept in memory so periods of an hour and longer
   *  never rescan the files (an hour of five fields is five small objects). */
  hours: Buckets;
}

const SEGMENT_RE = /^(\d{10})\.seg$/;

export class HistoryStore {
  readonly #o: Required<Omit<HistoryStoreOptions, "log">> & { log: Logger | undefined };
  readonly #segments: Segment[] = [];
  #buffer: Sample[] = [];
  /** The segment this process appends to (never one a previous process wrote). */
  #current: { segment: Segment; fd: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Samples refused for a timestamp before MIN_PLAUSIBLE_TIME. */
  #implausible = 0;
  /** Lines skipped as corrupt while opening (torn tails after a crash). */
  readonly corruptRecords: number;

  constructor(options: HistoryStoreOptions) {
    this.#o = { flushSamples: DEFAULT_FLUSH_SAMPLES, now: Date.now, log: undefined, ...options };
    mkdirSync(this.#o.dir, { recursive: true, mode: 0o700 }); // private, like the state file
    let corrupt = 0;
    for (const name of readdirSync(this.#o.dir).sort()) {
      const m = SEGMENT_RE.exec(name);
      if (!m) continue;
      const file = path.join(this.#o.dir, name);
      const decoded = decodeSegment(readFileSync(file));
      corrupt += decoded.corrupt;
      const seg: Segment = { seq: Number(m[1]), file, bytes: statSync(file).size, minT: Infinity, maxT: -Infinity, createdAt: 0, hours: new Map() };
      addToSegment(seg, decoded.samples);
      this.#segments.push(seg);
    }
    this.corruptRecords = corrupt;
    if (corrupt > 0) this.#o.log?.warn({ corrupt, dir: this.#o.dir }, "history: skipped torn or corrupt records (an earlier unclean stop)");
    this.#retain();
  }

  /** Start the periodic flush timer (the daemon; tests flush by hand). */
  start(): void {
    this.#timer ??= setInterval(() => this.flush(), this.#o.flushMs);
    this.#timer.unref();
  }

  /** Buffer the numeric and boolean fields of one reading (strings are not kept). */
  append(nodeId: string, fields: readonly Field[]): void {
    if (this.#closed) return;
    for (const f of fields) {
      if (f.kind !== undefined && f.kind !== "momentary") continue; // only measured values
      const t = f.timestamp.getTime();
      if (t < MIN_PLAUSIBLE_TIME) {
        // An unset clock (a Pi without RTC before NTP): never a history dated 1970. The daemon
        // holds such readings back until the sync (./clock-guard.ts); this is the last guard.
        if (this.#implausible++ === 0) this.#o.log?.warn({ nodeId, timestamp: f.timestamp.toISOString() }, "history: reading dated before the clock was set; not kept");
        continue;
      }
      if (f.type === "numeric" && Number.isFinite(f.value)) {
        // Kept at the sensor's precision (what a live readout writes, docs/protocol.md §1.3).
        const value = Number(f.value.toFixed(Math.min(Math.max(f.decimals, 0), 20)));
        this.#buffer.push({ nodeId, name: f.name, type: "numeric", unit: f.unit, decimals: f.decimals, t, value });
      } else if (f.type === "boolean") {
        this.#buffer.push({ nodeId, name: f.name, type: "boolean", unit: "", decimals: 0, t, value: f.value ? 1 : 0 });
      }
    }
    if (this.#buffer.length >= this.#o.flushSamples) this.flush();
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  /** Bytes of every segment on disk. */
  get bytes(): number {
    return this.#segments.reduce((n, s) => n + s.bytes, 0);
  }

  get segmentCount(): number {
    return this.#segments.length;
  }

  /** Write the buffered batch as one record and sync it. A write error loses that batch (logged). */
  flush(): void {
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    try {
      const cur = this.#writable();
      const record = encodeRecord(batch);
      writeSync(cur.fd, record);
      fdatasyncSync(cur.fd);
      cur.segment.bytes += record.length;
      addToSegment(cur.segment, batch);
    } catch (err) {
      this.#o.log?.error({ err, samples: batch.length }, "history: flush failed; batch lost");
      this.#closeCurrent(); // start a fresh segment next time
    }
    this.#retain();
  }

  /** Raw samples of a node with from <= t <= to, oldest first (names: empty = all). */
  query(nodeId: string, names: ReadonlySet<string>, from: number, to: number): Sample[] {
    return this.#scan(nodeId, names, from, to, true);
  }

  /**
   * Buckets of `period` whose start lies in [from, to] (see aggregate()). Seconds and minutes
   * are computed from the samples; an hour and longer from the in-memory hourly partials, where
   * `keep` applies by whole hours (the hour holding the cut-off still counts all its samples).
   */
  aggregate(nodeId: string, names: ReadonlySet<string>, period: Period, from: number, to: number): Bucket[] {
    if (period === "second" || period === "minute") {
      const { lo, hi } = sampleRange(period, from, to);
      return aggregate(this.#scan(nodeId, names, lo, hi, false), period, from, to);
    }
    const first = firstBucketFrom(period, from);
    const oldestHour = bucketStart("hour", this.#o.now() - this.#o.keepMs);
    const wanted = (n: string, name: string) => n === nodeId && (names.size === 0 || names.has(name));
    const out: Buckets = new Map();
    for (const seg of this.#segments) {
      for (const p of seg.hours.values()) {
        if (p.start < oldestHour || !wanted(p.nodeId, p.name)) continue;
        const start = bucketStart(period, p.start); // every period from an hour up is whole UTC hours
        if (start >= first && start <= to) addPartial(out, p, start);
      }
    }
    for (const s of this.#buffer) {
      if (s.t < oldestHour || !wanted(s.nodeId, s.name)) continue;
      const start = bucketStart(period, s.t);
      if (start >= first && start <= to) addSample(out, s, start);
    }
    return finishBuckets(out);
  }

  /** Flush and stop (SIGTERM). */
  close(): void {
    if (this.#closed) return;
    if (this.#timer) clearInterval(this.#timer);
    this.flush();
    this.#closeCurrent();
    this.#closed = true;
  }

  #scan(nodeId: string, names: ReadonlySet<string>, from: number, to: number, toInclusive: boolean): Sample[] {
    const lo = Math.max(from, this.#o.now() - this.#o.keepMs);
    const inRange = (s: Sample) =>
      s.nodeId === nodeId && s.t >= lo && (toInclusive ? s.t <= to : s.t < to) && (names.size === 0 || names.has(s.name));
    const out: Sample[] = [];
    for (const seg of this.#segments) {
      if (seg.maxT < lo || seg.minT > to) continue;
      let buf: Buffer;
      try {
        buf = readFileSync(seg.file);
      } catch (err) {
        this.#o.log?.warn({ err, file: seg.file }, "history: segment unreadable");
        continue;
      }
      for (const s of decodeSegment(buf).samples) if (inRange(s)) out.push(s);
    }
    for (const s of this.#buffer) if (inRange(s)) out.push(s);
    return out.sort((a, b) => a.t - b.t);
  }

  #writable(): { segment: Segment; fd: number } {
    const cur = this.#current;
    const maxSegBytes = Math.max(4096, Math.floor(this.#o.maxBytes / 16));
    if (cur && cur.segment.bytes < maxSegBytes && this.#o.now() - cur.segment.createdAt < this.#o.keepMs / 16) return cur;
    this.#closeCurrent();
    const seq = (this.#segments.at(-1)?.seq ?? 0) + 1;
    const file = path.join(this.#o.dir, `${String(seq).padStart(10, "0")}.seg`);
    const fd = openSync(file, "wx");
    syncDir(this.#o.dir); // the new name survives a power cut, not just the data
    const segment: Segment = { seq, file, bytes: 0, minT: Infinity, maxT: -Infinity, createdAt: this.#o.now(), hours: new Map() };
    this.#segments.push(segment);
    return (this.#current = { segment, fd });
  }

  #closeCurrent(): void {
    if (!this.#current) return;
    try {
      closeSync(this.#current.fd);
    } catch {
      /* already gone */
    }
    this.#current = undefined;
  }

  /** Drop segments wholly older than keep, then the oldest until under max_size. */
  #retain(): void {
    const cutoff = this.#o.now() - this.#o.keepMs;
    const drop = (seg: Segment) => {
      if (this.#current?.segment === seg) this.#closeCurrent();
      try {
        unlinkSync(seg.file);
      } catch (err) {
        this.#o.log?.warn({ err, file: seg.file }, "history: cannot delete an old segment");
      }
      this.#segments.splice(this.#segments.indexOf(seg), 1);
    };
    for (const seg of [...this.#segments]) {
      if (seg === this.#current?.segment) continue; // ours rotates by age (keep/16) first
      if (seg.maxT < cutoff) drop(seg); // includes segments with no intact record
    }
    while (this.bytes > this.#o.maxBytes && this.#segments.length > 0) drop(this.#segments[0]!);
  }
}

function addToSegment(seg: Segment, samples: readonly Sample[]): void {
  for (const s of samples) {
    seg.minT = Math.min(seg.minT, s.t);
    seg.maxT = Math.max(seg.maxT, s.t);
    addSample(seg.hours, s, bucketStart("hour", s.t));
  }
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    /* not every file system allows syncing a folder */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
