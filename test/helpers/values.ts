// A read's fields as name → value, for compact assertions.
import type { Field } from "../../drivers/types.js";

export function values(fields: readonly Field[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f.name, f.value]));
}
