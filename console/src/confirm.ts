// A confirmation dialog: a modal <dialog> labelled by its title and described by its text,
// focus on the safe choice (Cancel), Escape cancels, Tab stays inside (the browser's modal
// dialog does that), an optional checkbox. Resolves once it closes.
import { h } from "./dom.js";

export interface ConfirmOptions {
  title: string;
  text: string;
  confirm: string;
  /** A labelled checkbox, e.g. "Also remove it from my contacts". */
  option?: { label: string; checked: boolean };
}

export interface ConfirmResult {
  ok: boolean;
  option: boolean;
}

let seq = 0;

export function confirmDialog(o: ConfirmOptions): Promise<ConfirmResult> {
  const id = `confirm-${++seq}`;
  const box = o.option ? h("input", { type: "checkbox", id: `${id}-option`, checked: o.option.checked }) : undefined;
  const cancel = h("button", { type: "button", value: "cancel", autofocus: true }, "Cancel");
  const ok = h("button", { type: "button", value: "ok", class: "danger" }, o.confirm);
  const dialog = h(
    "dialog",
    { class: "confirm", "aria-labelledby": `${id}-title`, "aria-describedby": `${id}-text` },
    h("h2", { id: `${id}-title` }, o.title),
    h("p", { id: `${id}-text` }, o.text),
    box && o.option ? h("p", { class: "option" }, box, " ", h("label", { for: box.id }, o.option.label)) : null,
    h("div", { class: "actions" }, cancel, ok),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    let result: ConfirmResult = { ok: false, option: false };
    cancel.addEventListener("click", () => dialog.close());
    ok.addEventListener("click", () => {
      result = { ok: true, option: box?.checked ?? false };
      dialog.close();
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(result);
    });
    dialog.showModal();
    cancel.focus();
  });
}
