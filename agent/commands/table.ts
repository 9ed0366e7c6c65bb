// Plain-text tables for the operator commands: left-aligned columns two spaces apart, no
// trailing blanks, so the output reads well in a terminal and greps cleanly.

/** `rows[0]` is the header; every row has the same number of cells. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n");
}
