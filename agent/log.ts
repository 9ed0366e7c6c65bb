// One root logger. JSON lines on stdout (journald picks them up); the password is redacted
// wherever it appears in a logged object.
//
// Under systemd, journald files every stdout line at priority 6 (info) unless the line starts
// with "<N>" (SyslogLevelPrefix=, on by default). So when stdout is the journal, each line gets
// the syslog priority of its pino level and `journalctl -p warning -u thingd` works. Elsewhere
// the lines stay plain JSON (tests and `pino-pretty` parse them). The prefixing destination is
// a synchronous wrapper in this thread: no worker-thread transport (a thread is costly on a
// one-core Pi Zero, and lines buffered in a worker are lost on a fast exit: docs/pitfalls.md "Logging").
//
// On a terminal, and when asked (`--log-format pretty`), lines are short human text instead
// (./log-pretty.ts).
import { fstatSync } from "node:fs";
import { isatty } from "node:tty";
import { pino, type Logger, type DestinationStream, type LevelWithSilent } from "pino";
import { prettyLine } from "./log-pretty.js";

export type { Logger };

export const REDACT_PATHS = [
  "password",
  "*.password",
  "xmpp.password",
  "config.xmpp.password",
  "credentials.password",
];

export type LogFormat = "json" | "pretty";

export interface LoggerOptions {
  /** Prefix lines with "<N>" syslog priorities; default: when stdout is the journal and no destination is given. */
  journal?: boolean;
  /** "pretty": human lines (never with the journal prefix). Default "json". */
  format?: LogFormat;
}

/**
 * The format for a log going to file descriptor `fd`: as asked, else human lines on a
 * terminal and JSON elsewhere (the journal, a pipe, a file).
 */
export function logFormatFor(fd: number, asked?: LogFormat): LogFormat {
  if (asked) return asked;
  try {
    return isatty(fd) ? "pretty" : "json";
  } catch {
    return "json";
  }
}

/** Wrap `inner` so each JSON line is written as a human line (./log-pretty.ts). */
export function prettyDestination(inner: DestinationStream): DestinationStream {
  return { write: (line: string) => void inner.write(`${prettyLine(line)}\n`) };
}

/**
 * `err` as logged: an Error with its type, message, code (errno or XMPP condition) and stack;
 * a plain object keeps what it says (pino's own serializer would log it as type "Object"
 * with an empty stack); an AggregateError (a connect to every address of a host failed) gets
 * the message of its first inner error, it has none of its own.
 */
export function serializeError(err: unknown): unknown {
  if (err instanceof Error) {
    const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
    // pino appends each cause's message; a wrapper that already quotes its cause (DriverError)
    // would read "simulated failure: simulated failure".
    if (err.message) out.message = err.message;
    const inner = err instanceof AggregateError ? (err.errors as unknown[]).find((e): e is Error => e instanceof Error) : undefined;
    if (!err.message && inner) out.message = inner.message;
    const code = (err as { code?: unknown }).code ?? (inner as { code?: unknown } | undefined)?.code;
    if (typeof code === "string" && out.code === undefined) out.code = code;
    return out;
  }
  if (typeof err === "object" && err !== null) {
    const { name, ...rest } = err as Record<string, unknown>;
    return { ...(typeof name === "string" ? { type: name } : {}), ...rest };
  }
  return { message: String(err) };
}

/** syslog priority for a pino level number: trace/debug 7, info 6, warn 4, error 3, fatal 2. */
export function syslogPriority(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

/**
 * True when file descriptor `fd` is the stream systemd connected to journald. systemd sets
 * JOURNAL_STREAM="<dev>:<inode>" of that stream; comparing it with fstat keeps the prefix off
 * when a child inherited the variable but its stdout was redirected (`thingd run | tee`).
 */
export function isJournalStream(fd = 1, env: Record<string, string | undefined> = process.env): boolean {
  const value = env.JOURNAL_STREAM;
  if (!value) return false;
  const [dev, ino] = value.split(":");
  try {
    const st = fstatSync(fd, { bigint: true });
    return dev !== undefined && ino !== undefined && st.dev === BigInt(dev) && st.ino === BigInt(ino);
  } catch {
    return false;
  }
}

/**
 * Wrap `inner` so each line starts with "<N>". pino's metadata protocol (the one multistream
 * uses) sets `lastLevel` on the stream right before each synchronous write of that line.
 */
export function journalDestination(inner: DestinationStream): DestinationStream {
  const stream = {
    [Symbol.for("pino.metadata")]: true,
    lastLevel: 30,
    write(line: string) {
      inner.write(`<${syslogPriority(stream.lastLevel)}>${line}`);
    },
  };
  return stream;
}

export function createLogger(
  level: LevelWithSilent = "info",
  destination?: DestinationStream,
  options: LoggerOptions = {},
): Logger {
  const pinoOptions = {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    serializers: { err: serializeError },
  };
  if (options.format === "pretty") return pino(pinoOptions, prettyDestination(destination ?? pino.destination({ dest: 1, sync: true })));
  const journal = options.journal ?? (destination === undefined && isJournalStream(1));
  if (journal) return pino(pinoOptions, journalDestination(destination ?? pino.destination({ dest: 1, sync: true })));
  return destination ? pino(pinoOptions, destination) : pino(pinoOptions);
}
