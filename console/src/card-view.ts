// One Thing's card: name, online state and ownership; JID and the last update; the registry's
// label, the last error, why it is read-only; a section per node (./node-view.ts); the status
// panel (./status-panel.ts); add, disown and remove (the last two after a confirmation); the
// history panel. Made once per Thing; update() changes only what changed, so focus, an open
// history panel and a dialog survive the values pushed every second.
import { confirmDialog } from "./confirm.js";
import { h, placeChildren, renderKeyed, setAttr, setText } from "./dom.js";
import { nodeView, type NodeView } from "./node-view.js";
import type { Session, ThingView } from "./session.js";
import { isInfoField } from "./status.js";
import { statusPanel } from "./status-panel.js";
import { fmtTime } from "./time-format.js";

export interface CardView {
  root: HTMLElement;
  /** The ThingView the card shows (the session makes a new one when a Thing leaves and comes back). */
  thing: ThingView;
  update(): void;
}

export function cardView(session: Session, t: ThingView): CardView {
  const header = h("header", {});
  const lastUpdate = h("time", { class: "last-update" });
  const meta = h("p", { class: "meta" }, t.jid, " · last update ", lastUpdate);
  const notes = h("div", { class: "notes" });
  const nodesHost = h("div", { class: "nodes" });
  const status = statusPanel(session, t);
  const statusHost = h("div", {});
  const msg = h("span", { class: "message", role: "status" });
  const actionsHost = h("div", { class: "card-actions" });
  const body = h("div", { class: "card-body" }, header, meta, notes, nodesHost, statusHost, actionsHost);
  const history = h("div", {});
  const root = h("article", { class: "card", "data-jid": t.jid }, body, history);
  const nodes = new Map<string, NodeView>();

  const update = () => {
    const name = t.name ?? t.jid;
    const state = !t.inRoster
      ? "not a contact"
      : t.online
        ? t.live === "events"
          ? "online · live (events)"
          : t.live === "polling"
            ? "online · live (polling)"
            : "online"
        : "offline";
    setAttr(root, "aria-label", name);
    renderKeyed(header, JSON.stringify([name, state, t.online, t.owned]), () => [
      h("h2", {}, name),
      h("span", { class: `badge ${t.online ? "on" : "off"}` }, state),
      t.owned ? h("span", { class: "badge owned" }, "owned") : null,
    ]);
    setText(lastUpdate, fmtTime(t.lastUpdate));
    setAttr(lastUpdate, "datetime", t.lastUpdate ? new Date(t.lastUpdate).toISOString() : "");
    const readOnly = t.canControl === false && t.controlRefusal ? t.controlRefusal : undefined;
    renderKeyed(notes, JSON.stringify([t.registryLabel, t.error, readOnly]), () => [
      t.registryLabel ? h("p", { class: "meta registry-label" }, `In the registry: ${t.registryLabel}`) : null,
      t.error ? h("p", { class: "error", role: "alert" }, t.error) : null,
      readOnly ? h("p", { class: "note" }, `Read-only: ${readOnly}`) : null,
    ]);
    // Nodes with values or a failure, by id; their sections are kept and updated in place.
    const hasValues = (n: string) => [...(t.nodes.get(n)?.values() ?? [])].some((f) => !isInfoField(f));
    const ids = new Set([...t.nodes.keys(), ...t.failures.keys()].filter((n) => hasValues(n) || t.failures.has(n)));
    if (ids.size !== nodes.size || [...ids].some((n) => !nodes.has(n))) {
      for (const n of nodes.keys()) if (!ids.has(n)) nodes.delete(n);
      for (const n of ids) if (!nodes.has(n)) nodes.set(n, nodeView(session, t, n, history));
      placeChildren(
        nodesHost,
        [...ids].sort().map((n) => nodes.get(n)!.root),
      );
    }
    for (const v of nodes.values()) v.update();
    const panel = status.update();
    placeChildren(statusHost, panel ? [panel] : []);
    renderKeyed(actionsHost, JSON.stringify([name, t.inRoster, t.owned, session.registry]), () => actions(session, t, msg));
  };
  update();
  return { root, thing: t, update };
}

/** Add to contacts, disown (registry), remove from contacts; the last two after a confirmation. */
function actions(session: Session, t: ThingView, msg: HTMLElement): HTMLElement[] {
  const name = t.name ?? t.jid;
  const fail = (err: Error) => (msg.textContent = err.message);
  const add = h("button", { type: "button" }, "Add to contacts");
  add.addEventListener("click", () => {
    session.addContact(t.jid).catch(fail);
  });
  const disown = h("button", { type: "button", class: "danger", "aria-label": `Disown ${name}` }, "Disown…");
  disown.addEventListener("click", () => {
    confirmDialog({
      title: `Disown ${name}?`,
      text: `The registry (${session.registry ?? ""}) frees ${t.jid}: you no longer own it and anyone with its claim code can claim it. The Thing must be online to acknowledge.`,
      confirm: "Disown",
      ...(t.inRoster ? { option: { label: "Also remove it from my contacts", checked: true } } : {}),
    })
      .then(async (r) => {
        if (!r.ok) return;
        msg.textContent = "Disowning…";
        await session.disown(t);
        if (r.option) await session.removeContact(t.jid);
        msg.textContent = "";
      })
      .catch(fail);
  });
  const remove = h("button", { type: "button", "aria-label": `Remove ${name} from contacts` }, "Remove…");
  remove.addEventListener("click", () => {
    confirmDialog({
      title: `Remove ${name} from your contacts?`,
      text: t.owned ? `You still own ${t.jid} in the registry; it stays listed here.` : `${t.jid} leaves this list. Add it again by its JID.`,
      confirm: "Remove",
    })
      .then(async (r) => {
        if (r.ok) await session.removeContact(t.jid);
      })
      .catch(fail);
  });
  return [...(t.inRoster ? [] : [add]), ...(t.owned ? [disown] : []), ...(t.inRoster ? [remove] : []), msg];
}
