// "My things": one card per Thing in the roster or owned according to the registry — online
// state, every node with its fields (value, unit, time), failures per node, the last update;
// outputs as switches; a history panel per field; the status panel (identity, uptime,
// errors); disown and remove behind a confirmation. Cards are updated in place so an open
// history panel survives updates.
import { confirmDialog } from "./confirm.js";
import { h, render } from "./dom.js";
import { historyView } from "./history-view.js";
import type { ReadField } from "./readout.js";
import type { Session, ThingView } from "./session.js";
import { claimView } from "./claim-view.js";
import { isInfoField, thingStatus } from "./status.js";

const fmtTime = (t: number | undefined) => (t === undefined ? "never" : new Date(t).toLocaleTimeString());
const NUMERIC = new Set(["numeric", "int", "long", "double"]);

export function thingsView(session: Session, onLogout: () => void): HTMLElement {
  const list = h("div", { class: "cards", "aria-live": "polite" });
  const cards = new Map<string, { root: HTMLElement; body: HTMLElement; history: HTMLElement }>();
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
  const update = () => {
    registryLine.textContent = session.registry
      ? `Thing Registry: ${session.registry}${session.registryProblem ? ` — ${session.registryProblem}` : ""}`
      : `No Thing Registry${session.registryProblem ? `: ${session.registryProblem}` : ""}`;
    const things = [...session.things.values()].filter((t) => t.isThing !== false);
    empty.hidden = things.length > 0;
    for (const [jid, c] of cards) {
      if (!session.things.has(jid) || session.things.get(jid)?.isThing === false) {
        c.root.remove();
        cards.delete(jid);
      }
    }
    for (const t of things) {
      let c = cards.get(t.jid);
      if (!c) {
        const body = h("div", { class: "card-body" });
        const history = h("div", {});
        const root = h("article", { class: "card", "data-jid": t.jid, "aria-label": t.name ?? t.jid }, body, history);
        c = { root, body, history };
        cards.set(t.jid, c);
        list.append(root);
      }
      renderCard(c.body, c.history, session, t);
    }
  };
  session.addEventListener("change", update);
  update();

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

function renderCard(body: HTMLElement, historyHost: HTMLElement, session: Session, t: ThingView): void {
  const state = !t.inRoster ? "not a contact" : t.online ? (t.live === "events" ? "online · live (events)" : t.live === "polling" ? "online · live (polling)" : "online") : "offline";
  const hasValues = (n: string) => [...(t.nodes.get(n)?.values() ?? [])].some((f) => !isInfoField(f));
  const nodes = [...new Set([...t.nodes.keys(), ...t.failures.keys()])].filter((n) => hasValues(n) || t.failures.has(n)).sort();
  render(
    body,
    h("header", {}, h("h2", {}, t.name ?? t.jid), h("span", { class: `badge ${t.online ? "on" : "off"}` }, state), t.owned ? h("span", { class: "badge owned" }, "owned") : null),
    h("p", { class: "meta" }, t.jid, " · last update ", h("time", { class: "last-update", datetime: t.lastUpdate ? new Date(t.lastUpdate).toISOString() : "" }, fmtTime(t.lastUpdate))),
    t.registryLabel ? h("p", { class: "meta registry-label" }, `In the registry: ${t.registryLabel}`) : null,
    t.error ? h("p", { class: "error", role: "alert" }, t.error) : null,
    t.canControl === false && t.controlRefusal ? h("p", { class: "note" }, `Read-only: ${t.controlRefusal}`) : null,
    nodes.map((n) => nodeTable(session, t, n, historyHost)),
    statusPanel(session, t),
    actions(session, t),
  );
}

/** Identity and status of the Thing and each node: uptime, reads, errors, the last error. */
function statusPanel(session: Session, t: ThingView): HTMLElement | null {
  const st = thingStatus(t.nodes);
  if (st.nodes.length === 0 && !st.version) return null;
  const refresh = h("button", { type: "button", class: "small", "aria-label": `Refresh the status of ${t.name ?? t.jid}` }, "Refresh");
  refresh.addEventListener("click", () => {
    refresh.disabled = true;
    session
      .refreshStatus(t)
      .catch((err: Error) => (t.error = err.message))
      .finally(() => (refresh.disabled = false));
  });
  const ident = [st.version ? `thingd ${st.version}` : null, st.serial ? `serial ${st.serial}` : null].filter(Boolean).join(" · ");
  return h(
    "section",
    { class: "status", "aria-label": `Status of ${t.name ?? t.jid}` },
    h("header", {}, h("h3", {}, "Status"), ident ? h("span", { class: "identity" }, ident) : null, refresh),
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, ["Node", "Driver", "Uptime", "Reads", "Errors", "Last error"].map((c) => h("th", { scope: "col", class: c === "Driver" || c === "Reads" ? "wide" : null }, c)))),
      h(
        "tbody",
        {},
        st.nodes.map((n) =>
          h(
            "tr",
            { "data-node": n.node },
            h("th", { scope: "row" }, n.node),
            h("td", { class: "driver wide" }, n.model ? `${n.driver ?? ""} (${n.model})` : (n.driver ?? "")),
            h("td", { class: "uptime" }, n.uptime ?? "–"),
            h("td", { class: "reads wide" }, n.reads ?? "–"),
            h("td", { class: `errors${n.errors ? " error" : ""}` }, n.errors ?? "–"),
            h("td", { class: "last-error" }, n.lastError || "none"),
          ),
        ),
      ),
    ),
  );
}

/** Add to contacts, disown (registry), remove from contacts; the last two after a confirmation. */
function actions(session: Session, t: ThingView): HTMLElement {
  const name = t.name ?? t.jid;
  const msg = h("span", { class: "message", role: "status" });
  const fail = (err: Error) => (msg.textContent = err.message);
  const add = !t.inRoster
    ? h("button", { type: "button", onclick: () => {
          session.addContact(t.jid).catch(fail);
        },
      }, "Add to contacts")
    : null;
  const disown = t.owned
    ? h("button", {
        type: "button",
        class: "danger",
        "aria-label": `Disown ${name}`,
        onclick: () => {
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
        },
      }, "Disown…")
    : null;
  const remove = t.inRoster
    ? h("button", {
        type: "button",
        "aria-label": `Remove ${name} from contacts`,
        onclick: () => {
          confirmDialog({
            title: `Remove ${name} from your contacts?`,
            text: t.owned ? `You still own ${t.jid} in the registry; it stays listed here.` : `${t.jid} leaves this list. Add it again by its JID.`,
            confirm: "Remove",
          })
            .then(async (r) => {
              if (r.ok) await session.removeContact(t.jid);
            })
            .catch(fail);
        },
      }, "Remove…")
    : null;
  return h("div", { class: "card-actions" }, add, disown, remove, msg);
}

function nodeTable(session: Session, t: ThingView, node: string, historyHost: HTMLElement): HTMLElement {
  const fields = [...(t.nodes.get(node)?.values() ?? [])].filter((f) => !isInfoField(f)).sort((a, b) => a.name.localeCompare(b.name));
  const failure = t.failures.get(node);
  return h(
    "section",
    { class: "node", "data-node": node },
    h("h3", {}, node),
    failure ? h("p", { class: "error node-failure", role: "alert" }, `${failure.message} (${fmtTime(failure.time)})`) : null,
    fields.length
      ? h(
          "table",
          {},
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "Value"), h("th", { scope: "col", class: "time" }, "Time"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))),
          h("tbody", {}, fields.map((f) => fieldRow(session, t, node, f, historyHost))),
        )
      : null,
  );
}

function fieldRow(session: Session, t: ThingView, node: string, f: ReadField, historyHost: HTMLElement): HTMLElement {
  const id = `${t.jid}|${node}|${f.name}`;
  const value = f.writable ? output(session, t, node, f) : h("span", { class: "value" }, f.value, f.unit ? h("span", { class: "unit" }, ` ${f.unit}`) : null);
  const canChart = NUMERIC.has(f.kind) && f.flags.includes("momentary");
  const chart = canChart
    ? h("button", {
        type: "button",
        class: "history-button",
        "aria-label": `History of ${f.name}`,
        onclick: () => {
          render(historyHost, historyView(session, t, node, f.name, () => render(historyHost)));
        },
      }, "History")
    : null;
  return h("tr", { "data-field": f.name, "data-id": id }, h("th", { scope: "row" }, f.name), h("td", {}, value), h("td", { class: "time" }, fmtTime(f.time)), h("td", {}, chart));
}

function output(session: Session, t: ThingView, node: string, f: ReadField): HTMLElement {
  const allowed = t.canControl !== false;
  const reason = h("span", { class: "error refusal", role: "status" });
  const label = `${node} ${f.name}`;
  if (f.kind === "boolean") {
    const on = f.value === "true" || f.value === "1";
    const box = h("input", { type: "checkbox", role: "switch", class: "switch", "aria-label": label, checked: on, disabled: !allowed, title: allowed ? "" : (t.controlRefusal ?? "") });
    box.addEventListener("change", () => {
      box.disabled = true;
      void session
        .set(t, node, f, box.checked ? "true" : "false")
        .then((refusal) => {
          reason.textContent = refusal ?? "";
          if (refusal) box.checked = on;
        })
        .catch((err: Error) => (reason.textContent = err.message))
        .finally(() => (box.disabled = t.canControl === false));
    });
    return h("span", { class: "output" }, box, h("span", { class: "value" }, on ? "on" : "off"), reason);
  }
  const input = h("input", { type: NUMERIC.has(f.kind) ? "number" : "text", step: "any", value: f.value, "aria-label": label, disabled: !allowed });
  const set = h("button", { type: "button", disabled: !allowed }, "Set");
  set.addEventListener("click", () => {
    void session
      .set(t, node, f, input.value)
      .then((refusal) => (reason.textContent = refusal ?? ""))
      .catch((err: Error) => (reason.textContent = err.message));
  });
  return h("span", { class: "output" }, input, f.unit ? ` ${f.unit} ` : " ", set, reason);
}
