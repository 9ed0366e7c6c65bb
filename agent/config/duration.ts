// Durations in the sensor map: a number and one unit, e.g. 500ms, 10s, 1m, 1.5h, 30d.
// One unit only, no spaces: "1m30s" is written "90s", so a typo can't half-parse.

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type DurationUnit = keyof typeof UNIT_MS;

/** The accepted syntax; also used as the JSON Schema `pattern` of duration keys. */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Milliseconds (rounded to whole ms), or undefined if `s` isn't a duration. */
export function parseDuration(s: string): number | undefined {
  const match = DURATION_PATTERN.exec(s);
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] as DurationUnit];
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** The largest unit that states `ms` exactly, so parseDuration(formatDuration(x)) === x. */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    if (ms !== 0 && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
