// Reconnect delays: exponential with "equal jitter" (half fixed, half random), capped.
// Fleets behind one server must not reconnect in lockstep after a server restart.

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 60_000 };

/**
 * After another session took our resource (stream error <conflict/>): a long back-off, so two
 * boards sharing one identity do not kick each other off every second.
 */
export const DEFAULT_CONFLICT_BACKOFF: BackoffPolicy = { baseMs: 30_000, capMs: 15 * 60_000 };

/** Delay before retry number `attempt` (0-based); `random` in [0, 1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random = Math.random()): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
