// Hex for messages: register values, addresses, checksums ("0x5c", "0x02d0").

/** `n` as `0x` and at least `digits` lowercase hex digits. */
export function hex(n: number, digits = 2): string {
  return `0x${n.toString(16).padStart(digits, "0")}`;
}
