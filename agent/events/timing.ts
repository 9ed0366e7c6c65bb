// When an event may go out (docs/people.md "Event subscriptions"): never sooner than minInt
// after the previous one (a trigger in between is held back and sent when minInt is up), at
// the latest maxInt after it even without change, and never while the subscriber is offline
// (held, and sent when it comes back). Pure: the caller passes the clock and runs the timer.

export interface Timing {
  minIntMs?: number;
  maxIntMs?: number;
  lastSentAt: number;
  /** A trigger is waiting (minInt not yet up, or the subscriber offline). */
  held: boolean;
  online: boolean;
}

export type Decision = "send" | "hold";

/** A value change triggered: send now, or hold it back. */
export function onTrigger(t: Timing, now: number): Decision {
  if (!t.online || (t.minIntMs !== undefined && now - t.lastSentAt < t.minIntMs)) return "hold";
  return "send";
}

/** When the timer should next wake this subscription (undefined: nothing due). */
export function nextDue(t: Timing): number | undefined {
  if (!t.online) return undefined;
  let due = Infinity;
  if (t.held) due = t.lastSentAt + (t.minIntMs ?? 0);
  if (t.maxIntMs !== undefined) due = Math.min(due, t.lastSentAt + t.maxIntMs);
  return Number.isFinite(due) ? due : undefined;
}

/** The timer fired at `now`: send if a held trigger's minInt is up or maxInt has passed. */
export function onTimer(t: Timing, now: number): Decision | undefined {
  if (!t.online) return undefined;
  if (t.held && now - t.lastSentAt >= (t.minIntMs ?? 0)) return "send";
  if (t.maxIntMs !== undefined && now - t.lastSentAt >= t.maxIntMs) return "send";
  return undefined;
}
