// Why an XMPP connection attempt or session ended, as the supervisor's back-off and the status
// see it. "conflict": another session took our full JID (two boards with one identity, a cloned
// image); "auth": the server refused the password; "network": anything else (server down or
// gone, TLS failure, timeouts): the ordinary back-off applies. Also: the few words a log line
// or the status gives for a failure.

export type FailureKind = "network" | "auth" | "conflict";

/** SASL conditions that mean "these credentials will not work until someone changes them". */
const AUTH_REFUSED = new Set(["not-authorized", "account-disabled", "credentials-expired"]);

/** The kind of failure an error from xmpp.js (or our own connection code) stands for. */
export function failureKind(err: unknown): FailureKind {
  if (!(err instanceof Error)) return "network";
  const condition = (err as { condition?: unknown }).condition;
  // A stream error <conflict/> (RFC 6120 §4.9.3.3: a new session took the resource) or a
  // resource-binding <conflict/> stanza error (the server refused to replace the other one).
  if (condition === "conflict" && (err.name === "StreamError" || err.name === "StanzaError")) return "conflict";
  if (err.name === "SASLError" && typeof condition === "string" && AUTH_REFUSED.has(condition)) return "auth";
  return "network";
}

/** What `thingd status` and sd_notify STATUS= show while the session is down. */
export interface XmppProblem {
  kind: FailureKind;
  /** A few words: "replaced by another login", "login refused", "cannot connect". */
  summary: string;
  /** The likely cause and what to do, or the last error's message. */
  detail: string;
  /** When this streak of failures of this kind began. */
  since: Date;
  /** When the next attempt is due. */
  retryAt: Date;
}

export function conflictDetail(fullJid: string): string {
  return `another client logged in as ${fullJid} — two boards with the same identity? a cloned image?`;
}

export function authDetail(bareJid: string): string {
  return `authentication failed for ${bareJid}: check the password file`;
}

export const PROBLEM_SUMMARY: Record<FailureKind, string> = {
  conflict: "replaced by another login",
  auth: "login refused",
  network: "cannot connect",
};

/** The error inside a "disconnect" event's info, if any. */
export function reasonError(info: unknown): unknown {
  return info && typeof info === "object" && "reason" in info ? (info as { reason?: unknown }).reason : undefined;
}

/** A "disconnect" event's info in a few words for the log. */
export function describeClose(info: unknown): string {
  const r = reasonError(info);
  return r instanceof Error ? r.message : String(r ?? "closed");
}

/** SASL/stream errors carry the whole element; keep logs short. */
export function cleanError(err: unknown): { name: string; message: string; condition?: string; code?: string } {
  if (err instanceof Error) {
    const condition = (err as { condition?: string }).condition;
    // A connect to every address of the host failing is an AggregateError without a message.
    const inner = err instanceof AggregateError ? (err.errors as unknown[]).find((e): e is Error => e instanceof Error) : undefined;
    const code = (err as { code?: unknown }).code ?? (inner as { code?: unknown } | undefined)?.code;
    return {
      name: err.name,
      message: err.message || inner?.message || condition || "error",
      ...(condition ? { condition } : {}),
      ...(typeof code === "string" ? { code } : {}),
    };
  }
  return { name: "Error", message: String(err) };
}
