// One node of a Thing on its card: its failure, and a table of its fields (value with unit,
// time, a History button for numeric momentary values; outputs as a switch or an input with
// Set, XEP-0325). Built once and updated in place: rows are made only when the node's set of
// fields changes, and an update writes only the texts that changed, so an input being edited
// or a focused switch is never replaced.
import { h, placeChildren, render, setText } from "./dom.js";
import { historyView } from "./history-view.js";
import type { ReadField } from "./readout.js";
import type { Session, ThingView } from "./session.js";
import { isInfoField } from "./status.js";
import { fmtTime } from "./time-format.js";

const NUMERIC = new Set(["numeric", "int", "long", "double"]);

export interface NodeView {
  root: HTMLElement;
  /** Show the node's current fields and failure. */
  update(): void;
}

interface RowView {
  root: HTMLElement;
  /** Rows are replaced when this changes (another kind of value, unit, writability). */
  shape: string;
  update(f: ReadField): void;
}

const shapeOf = (f: ReadField) => `${f.writable ? "w" : "r"}|${f.kind}|${f.unit ?? ""}|${f.flags.includes("momentary") ? "m" : ""}`;

export function nodeView(session: Session, t: ThingView, node: string, historyHost: HTMLElement): NodeView {
  const failure = h("p", { class: "error node-failure", role: "alert" });
  const tbody = h("tbody", {});
  const table = h(
    "table",
    {},
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Field"),
        h("th", { scope: "col" }, "Value"),
        h("th", { scope: "col", class: "time" }, "Time"),
        h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")),
      ),
    ),
    tbody,
  );
  const title = h("h3", {}, node);
  const root = h("section", { class: "node", "data-node": node }, title);
  const rows = new Map<string, RowView>();

  const update = () => {
    const fields = [...(t.nodes.get(node)?.values() ?? [])].filter((f) => !isInfoField(f));
    const fail = t.failures.get(node);
    if (fail) setText(failure, `${fail.message} (${fmtTime(fail.time)})`);
    // The set of fields (or a field's shape) changed: add and drop rows, keep the order by name.
    const same = fields.length === rows.size && fields.every((f) => rows.get(f.name)?.shape === shapeOf(f));
    if (!same) {
      fields.sort((a, b) => a.name.localeCompare(b.name));
      for (const [name, row] of rows) if (!fields.some((f) => f.name === name && shapeOf(f) === row.shape)) rows.delete(name);
      for (const f of fields) if (!rows.has(f.name)) rows.set(f.name, fieldRow(session, t, node, f, historyHost));
      placeChildren(
        tbody,
        fields.map((f) => rows.get(f.name)!.root),
      );
      placeChildren(root, [title, ...(fail ? [failure] : []), ...(fields.length ? [table] : [])]);
    } else if (failure.isConnected !== Boolean(fail)) {
      placeChildren(root, [title, ...(fail ? [failure] : []), ...(fields.length ? [table] : [])]);
    }
    for (const f of fields) rows.get(f.name)?.update(f);
  };
  update();
  return { root, update };
}

function fieldRow(session: Session, t: ThingView, node: string, f: ReadField, historyHost: HTMLElement): RowView {
  const shape = shapeOf(f);
  const time = new Text(fmtTime(f.time));
  const chart =
    NUMERIC.has(f.kind) && f.flags.includes("momentary")
      ? h(
          "button",
          {
            type: "button",
            class: "history-button",
            "aria-label": `History of ${f.name}`,
            onclick: () => {
              render(
                historyHost,
                historyView(session, t, node, f.name, () => render(historyHost)),
              );
            },
          },
          "History",
        )
      : null;
  const value = f.writable ? output(session, t, node, f) : reading(f);
  const root = h(
    "tr",
    { "data-field": f.name, "data-id": `${t.jid}|${node}|${f.name}` },
    h("th", { scope: "row" }, f.name),
    h("td", {}, value.root),
    h("td", { class: "time" }, time),
    h("td", {}, chart),
  );
  let lastTime = f.time;
  return {
    root,
    shape,
    update(next) {
      value.update(next);
      if (next.time !== lastTime) {
        lastTime = next.time;
        setText(time, fmtTime(next.time));
      }
    },
  };
}

interface Cell {
  root: HTMLElement;
  update(f: ReadField): void;
}

/** A read-only value: `<span class="value">21.5<span class="unit"> °C</span></span>`. */
function reading(f: ReadField): Cell {
  const text = new Text(f.value);
  const root = h("span", { class: "value" }, text, f.unit ? h("span", { class: "unit" }, ` ${f.unit}`) : null);
  return { root, update: (next) => setText(text, next.value) };
}

/** An output: a switch (boolean) or an input with Set; disabled with the reason when we may not control it. */
function output(session: Session, t: ThingView, node: string, f: ReadField): Cell {
  const reason = h("span", { class: "error refusal", role: "status" });
  const label = `${node} ${f.name}`;
  let current = f;
  /** A set is in flight: leave the control alone until it is answered. */
  let busy = false;
  const allowed = () => t.canControl !== false;
  if (f.kind === "boolean") {
    const isOn = (x: ReadField) => x.value === "true" || x.value === "1";
    const box = h("input", { type: "checkbox", role: "switch", class: "switch", "aria-label": label });
    const state = new Text("");
    const show = () => {
      if (!busy) {
        box.checked = isOn(current);
        box.disabled = !allowed();
      }
      box.title = allowed() ? "" : (t.controlRefusal ?? "");
      setText(state, isOn(current) ? "on" : "off");
    };
    box.addEventListener("change", () => {
      busy = true;
      box.disabled = true;
      session
        .set(t, node, current, box.checked ? "true" : "false")
        .then((refusal) => setText(reason, refusal ?? ""))
        .catch((err: Error) => setText(reason, err.message))
        .finally(() => {
          busy = false;
          show();
        });
    });
    show();
    return {
      root: h("span", { class: "output" }, box, h("span", { class: "value" }, state), reason),
      update(next) {
        current = next;
        show();
      },
    };
  }
  const input = h("input", { type: NUMERIC.has(f.kind) ? "number" : "text", step: "any", "aria-label": label });
  input.value = f.value;
  const set = h("button", { type: "button" }, "Set");
  set.addEventListener("click", () => {
    session
      .set(t, node, current, input.value)
      .then((refusal) => setText(reason, refusal ?? ""))
      .catch((err: Error) => setText(reason, err.message));
  });
  /** The Thing's value last written into the input: a new one replaces it, unless the user is typing there. */
  let shown = f.value;
  const show = () => {
    input.disabled = set.disabled = !allowed();
    if (current.value !== shown && document.activeElement !== input) input.value = shown = current.value;
  };
  show();
  return {
    root: h("span", { class: "output" }, input, f.unit ? ` ${f.unit} ` : " ", set, reason),
    update(next) {
      current = next;
      show();
    },
  };
}
