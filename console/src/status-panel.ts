// A Thing's status panel: identity (thingd version, serial), and per node the driver, uptime,
// reads, errors and last error (./status.ts). The section and its Refresh button are made once;
// the table is re-rendered only when what it shows changed (status is re-read every 30 s).
import { h, renderKeyed, setAttr } from "./dom.js";
import type { Session, ThingView } from "./session.js";
import { thingStatus } from "./status.js";

export interface StatusPanel {
  /** The section, or null while the Thing reported no status or identity. */
  update(): HTMLElement | null;
}

export function statusPanel(session: Session, t: ThingView): StatusPanel {
  const refresh = h("button", { type: "button", class: "small" }, "Refresh");
  refresh.addEventListener("click", () => {
    refresh.disabled = true;
    session
      .refreshStatus(t)
      .catch((err: Error) => session.reportError(t, err))
      .finally(() => (refresh.disabled = false));
  });
  const identity = h("span", { class: "identity" });
  const header = h("header", {}, h("h3", {}, "Status"), identity, refresh);
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
        ["Node", "Driver", "Uptime", "Reads", "Errors", "Last error"].map((c) =>
          h("th", { scope: "col", class: c === "Driver" || c === "Reads" ? "wide" : null }, c),
        ),
      ),
    ),
    tbody,
  );
  const root = h("section", { class: "status" }, header, table);
  return {
    update() {
      const st = thingStatus(t.nodes);
      if (st.nodes.length === 0 && !st.version) return null;
      const name = t.name ?? t.jid;
      setAttr(root, "aria-label", `Status of ${name}`);
      setAttr(refresh, "aria-label", `Refresh the status of ${name}`);
      const ident = [st.version ? `thingd ${st.version}` : null, st.serial ? `serial ${st.serial}` : null].filter(Boolean).join(" · ");
      if (identity.textContent !== ident) identity.textContent = ident;
      if ((identity.parentNode === header) !== Boolean(ident)) {
        if (ident) refresh.before(identity);
        else identity.remove();
      }
      renderKeyed(tbody, JSON.stringify(st.nodes), () =>
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
      );
      return root;
    },
  };
}
