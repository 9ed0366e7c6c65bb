// Where a config problem is and how it reads: `file:line:col key.path: message`, collected in a
// ProblemList. Shared by the sensor map (./load.ts) and thingd-registry's config
// (registry/config.ts); a leaf module (node:fs and `yaml` only), so the registry does not pull
// in the drivers.
import { accessSync, constants, statSync } from "node:fs";
import { isMap, isScalar, isSeq, type Document, type LineCounter } from "yaml";
import { ConfigError, type ConfigProblem } from "../errors.js";

export type Segment = string | number;

/** `file:line:col path: message`, one problem a line, in the order given. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems
    .map((p) => {
      const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
      return p.path ? `${where} ${p.path}: ${p.message}` : `${where}: ${p.message}`;
    })
    .join("\n");
}

/** `sensors[2].every`, `registry.meta["odd key"]`. */
export function formatPath(segments: readonly Segment[]): string {
  return segments
    .map((s, i) => {
      if (typeof s === "number") return `[${s}]`;
      if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) return i === 0 ? s : `.${s}`;
      return `[${JSON.stringify(s)}]`;
    })
    .join("");
}

/** File order reads best; the sort is stable, so same-place problems keep their order. */
export function sortByPlace(problems: ConfigProblem[]): ConfigProblem[] {
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/**
 * Source offset of the deepest node on the path that exists: the value itself, or the key
 * when the key is what's wrong (unknown key) or has no value. A missing key points at
 * the key of its parent mapping, e.g. `xmpp:` for a missing `xmpp.jid`.
 */
export function offsetOfPath(doc: Document, segments: readonly Segment[], atKey: boolean): number | undefined {
  let node: unknown = doc.contents;
  let best: number | undefined = rangeStart(node);
  for (const [i, seg] of segments.entries()) {
    const last = i === segments.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return best;
      const keyAt = rangeStart(pair.key);
      const valueAt = rangeStart(pair.value);
      node = pair.value;
      best = last && !atKey ? (valueAt ?? keyAt) : (keyAt ?? valueAt);
    } else if (isSeq(node) && typeof seg === "number") {
      const item: unknown = node.items[seg];
      if (item === undefined) return best;
      node = item;
      best = rangeStart(item) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range?.[0];
}

/** Every problem of one file, each placed at its key or value in the YAML document. */
export class ProblemList {
  readonly list: ConfigProblem[] = [];

  constructor(
    protected readonly file: string,
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  add(segments: Segment[], message: string, atKey = false): void {
    const offset = offsetOfPath(this.doc, segments, atKey);
    const pos = offset === undefined ? undefined : this.lineCounter.linePos(offset);
    this.list.push({ file: this.file, ...(pos && { line: pos.line, column: pos.col }), path: formatPath(segments), message });
  }

  /** All of them, in file order, as one error. */
  error(): ConfigError {
    sortByPlace(this.list);
    return new ConfigError(formatProblems(this.list), this.list);
  }
}

/** A file-system error in plain words. */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "a folder, not a file";
  return (err as Error).message;
}

/** Why `file` can't be read, or undefined if it can. */
export function unreadable(file: string): string | undefined {
  try {
    if (!statSync(file).isFile()) return "not a regular file";
    accessSync(file, constants.R_OK);
    return undefined;
  } catch (err) {
    return fsReason(err);
  }
}
