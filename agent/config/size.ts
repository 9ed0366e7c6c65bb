// Sizes in the sensor map: a number and one unit, binary multiples (1KB = 1024 bytes), e.g.
// 512KB, 64MB, 1.5GB. One unit only, as for durations.

const UNIT_BYTES = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 } as const;

/** The accepted syntax; also the JSON Schema `pattern` of size keys. */
export const SIZE_PATTERN = /^(\d+(?:\.\d+)?)(B|KB|MB|GB)$/;

/** Bytes (rounded down), or undefined if `s` isn't a size. */
export function parseSize(s: string): number | undefined {
  const match = SIZE_PATTERN.exec(s);
  if (!match) return undefined;
  const bytes = Math.floor(Number(match[1]) * UNIT_BYTES[match[2] as keyof typeof UNIT_BYTES]);
  return Number.isFinite(bytes) ? bytes : undefined;
}
