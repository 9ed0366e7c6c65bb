// "My things": one card per Thing in the roster or owned according to the registry
// (./card-view.ts), the registry in use, and the forms to claim or add a Thing. The session
// says which Thing changed ("change" with its JID); changes are collected and drawn at most
// once per animation frame, and only the cards of the Things that changed are updated (in
// place: docs/benchmarks.md, "Web console with 20 live Things").
import { cardView, type CardView } from "./card-view.js";
import { claimView } from "./claim-view.js";
import { h } from "./dom.js";
import { perFrame } from "./frame.js";
import type { Session } from "./session.js";

export function thingsView(session: Session, onLogout: () => void): HTMLElement {
  // Not a live region: values change every second, and a screen reader would read each one out.
  // What needs announcing (refusals, messages) sits in role="status" elements of its own.
  const list = h("div", { class: "cards" });
  const cards = new Map<string, CardView>();
  const empty = h("p", { class: "message" }, "No things yet: claim one below, or add one by its JID.");

  const addInput = h("input", { id: "add-jid", type: "text", placeholder: "thing@example.org", required: true });
  const addMsg = h("span", { class: "message", role: "status" });
  const addForm = h("form", { class: "inline", "aria-label": "Add a thing" }, h("label", { for: "add-jid" }, "Add a thing by JID"), addInput, h("button", { type: "submit" }, "Add"), addMsg);
  addForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void session
      .addContact(addInput.value)
      .then(() => {
        addMsg.textContent = `asked ${addInput.value} for presence`;
        addInput.value = "";
      })
      .catch((err: Error) => (addMsg.textContent = err.message));
  });

  const registryLine = h("p", { class: "registry-line message", role: "status" });
  /** Things whose cards need an update at the next frame; `all`: everything (the list, the registry). */
  const dirty = new Set<string>();
  let all = true;
  const draw = () => {
    const text = session.registry
      ? `Thing Registry: ${session.registry}${session.registryProblem ? ` — ${session.registryProblem}` : ""}`
      : `No Thing Registry${session.registryProblem ? `: ${session.registryProblem}` : ""}`;
    if (registryLine.textContent !== text) registryLine.textContent = text;
    // Cards come and go with the Things (cheap: no DOM work unless one did).
    for (const [jid, c] of cards) {
      const t = session.things.get(jid);
      if (t !== c.thing || t.isThing === false) {
        c.root.remove();
        cards.delete(jid);
      }
    }
    for (const t of session.things.values()) {
      if (t.isThing === false || cards.has(t.jid)) continue;
      const c = cardView(session, t);
      cards.set(t.jid, c);
      list.append(c.root);
      dirty.delete(t.jid);
    }
    empty.hidden = cards.size > 0;
    if (all) for (const c of cards.values()) c.update();
    else for (const jid of dirty) cards.get(jid)?.update();
    all = false;
    dirty.clear();
  };
  const schedule = perFrame(draw);
  session.addEventListener("change", (ev) => {
    // CustomEvent's detail is null when none was given.
    const jid = (ev as CustomEvent<unknown>).detail;
    if (typeof jid === "string") dirty.add(jid);
    else all = true;
    schedule();
  });
  draw();

  const logout = h("button", { type: "button", onclick: onLogout }, "Log out");
  return h(
    "main",
    { class: "things" },
    h("header", { class: "top" }, h("h1", {}, "My things"), h("span", { class: "who" }, session.jid), logout),
    registryLine,
    empty,
    list,
    h("section", { class: "tools", "aria-label": "Add things" }, claimView(session), addForm),
  );
}

