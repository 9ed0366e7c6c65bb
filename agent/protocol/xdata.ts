// XEP-0004 Data Forms v2.13: build forms and results, read submitted values. Pure.
import { xml, type Element } from "@xmpp/xml";

export const NS_XDATA = "jabber:x:data";

export type FieldType = "boolean" | "fixed" | "hidden" | "list-multi" | "list-single" | "text-multi" | "text-single" | "jid-single";

export interface FormField {
  var?: string;
  type?: FieldType;
  label?: string;
  values?: readonly string[];
  options?: ReadonlyArray<{ label?: string; value: string }>;
  required?: boolean;
}

export interface FormOptions {
  type: "form" | "result" | "submit" | "cancel";
  title?: string;
  instructions?: string;
  fields?: readonly FormField[];
  /** A table (§3.4): the columns, then one item per row (each a var → value map). */
  reported?: readonly FormField[];
  items?: ReadonlyArray<Record<string, string>>;
}

function buildField(f: FormField): Element {
  return xml(
    "field",
    { ...(f.var !== undefined ? { var: f.var } : {}), ...(f.type ? { type: f.type } : {}), ...(f.label ? { label: f.label } : {}) },
    f.required ? xml("required") : undefined,
    ...(f.options ?? []).map((o) => xml("option", o.label ? { label: o.label } : {}, xml("value", {}, o.value))),
    ...(f.values ?? []).map((v) => xml("value", {}, v)),
  );
}

export function buildForm(o: FormOptions): Element {
  return xml(
    "x",
    { xmlns: NS_XDATA, type: o.type },
    o.title ? xml("title", {}, o.title) : undefined,
    o.instructions ? xml("instructions", {}, o.instructions) : undefined,
    ...(o.fields ?? []).map(buildField),
    o.reported ? xml("reported", {}, ...o.reported.map(buildField)) : undefined,
    ...(o.items ?? []).map((item) => xml("item", {}, ...Object.entries(item).map(([v, value]) => xml("field", { var: v }, xml("value", {}, value))))),
  );
}

/** The values of a submitted form (or undefined when `el` holds no form): var → values. */
export function parseSubmitted(el: Element | undefined): Map<string, string[]> | undefined {
  const x = el?.getChild("x", NS_XDATA);
  if (!x) return undefined;
  const out = new Map<string, string[]>();
  for (const f of x.getChildren("field")) {
    const v = f.attrs.var;
    if (!v) continue;
    out.set(
      v,
      f.getChildren("value").map((c) => c.text()),
    );
  }
  return out;
}

/** A form's type attribute (submit, cancel), if `el` holds one. */
export function submittedType(el: Element | undefined): string | undefined {
  return el?.getChild("x", NS_XDATA)?.attrs.type;
}
