// When new values trigger an event (docs/people.md "Event subscriptions"): each <f> rule
// compares a field with its reference — the value last sent to the subscriber, or the one it
// said it holds (`v`) — and fires when it moved by `by` either way, `up` upwards or `dn`
// downwards; a rule without amounts fires on any change. A subscription without rules fires
// when any of its fields changes. Pure: no clock, no I/O.
import type { Field } from "../../drivers/types.js";
import type { FieldRule } from "../protocol/events.js";

export type RefValue = number | string;

/** A field's value as compared by the rules: numbers for quantities, text for the rest. */
export function refValue(f: Field): RefValue {
  switch (f.type) {
    case "numeric":
    case "int":
    case "duration":
    case "time":
      return f.value;
    case "long":
      return Number(f.value);
    case "boolean":
      return f.value ? 1 : 0;
    case "date":
    case "dateTime":
      return f.value.getTime();
    case "string":
    case "enum":
      return f.value;
  }
}

/** Does `next` trigger `rule` against `ref`? An unknown reference always triggers. */
export function ruleFires(rule: FieldRule, ref: RefValue | undefined, next: RefValue): boolean {
  if (ref === undefined || typeof ref !== typeof next) return true;
  if (typeof ref === "string" || typeof next === "string") return ref !== next;
  const diff = next - ref;
  const amounts = rule.by !== undefined || rule.up !== undefined || rule.dn !== undefined;
  if (!amounts) return diff !== 0;
  return (rule.by !== undefined && Math.abs(diff) >= rule.by) || (rule.up !== undefined && diff >= rule.up) || (rule.dn !== undefined && -diff >= rule.dn);
}

/** The references a subscription compares against: field name → value, per node. */
export type References = Map<string, RefValue>;

export function refKey(nodeId: string, field: string): string {
  return `${nodeId}\u0000${field}`;
}

/**
 * Whether `fields` of `nodeId` trigger an event. With rules, only the named fields count;
 * without, any field whose value differs from the reference.
 */
export function fires(rules: readonly FieldRule[], refs: References, nodeId: string, fields: readonly Field[]): boolean {
  if (rules.length === 0) {
    return fields.some((f) => {
      const ref = refs.get(refKey(nodeId, f.name));
      return ref === undefined || ref !== refValue(f);
    });
  }
  for (const rule of rules) {
    const f = fields.find((x) => x.name === rule.name);
    if (f && ruleFires(rule, refs.get(refKey(nodeId, rule.name)), refValue(f))) return true;
  }
  return false;
}

/** After a push: the values sent become the references. */
export function remember(refs: References, nodeId: string, fields: readonly Field[]): void {
  for (const f of fields) refs.set(refKey(nodeId, f.name), refValue(f));
}

/** The subscriber's own `v` values, as first references for every node it watches. */
export function initialRefs(rules: readonly FieldRule[], nodeIds: readonly string[]): References {
  const refs: References = new Map();
  for (const rule of rules) if (rule.v !== undefined) for (const n of nodeIds) refs.set(refKey(n, rule.name), rule.v);
  return refs;
}
