// The history panel of one field: range buttons, the chart, CSV download of what is shown.
import type uPlot from "uplot";
import { drawChart } from "./chart.js";
import { h, render } from "./dom.js";
import { historyRequest, RANGES, toCsv, toSeries, type Range, type Series } from "./history.js";
import type { Session, ThingView } from "./session.js";

export function historyView(session: Session, thing: ThingView, node: string, field: string, onClose: () => void): HTMLElement {
  const chartHost = h("div", { class: "chart", role: "img", "aria-label": `History of ${field}` });
  const status = h("p", { class: "message", role: "status" });
  const csv = h("button", { type: "button", disabled: true }, "Download CSV");
  let shown: Series | undefined;
  let plot: uPlot | undefined;
  const buttons = RANGES.map((r) => h("button", { type: "button", "data-range": r, "aria-pressed": "false", onclick: () => show(r) }, r));

  function show(range: Range): void {
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.range === range));
    status.textContent = "Loading…";
    void session
      .readout(thing.full ?? thing.jid, historyRequest(range, node, field))
      .then((r) => {
        const s = toSeries(r.fields, range, field);
        shown = s;
        plot?.destroy();
        render(chartHost);
        const truncated = r.failures.find((f) => f.node === node);
        status.textContent = s.t.length === 0 ? "No stored values in this range." : `${s.t.length} points${truncated ? ` — ${truncated.message}` : ""}`;
        csv.disabled = s.t.length === 0;
        if (s.t.length > 0) plot = drawChart(chartHost, s);
      })
      .catch((err: Error) => {
        status.textContent = `History unavailable: ${err.message}`;
      });
  }

  csv.addEventListener("click", () => {
    if (!shown) return;
    const a = h("a", { href: URL.createObjectURL(new Blob([toCsv(shown)], { type: "text/csv" })), download: `${thing.jid}-${node}-${field}.csv` });
    a.click();
    URL.revokeObjectURL(a.href);
  });

  const panel = h(
    "section",
    { class: "history", "aria-label": `History of ${node} ${field}` },
    h("header", {}, h("h3", {}, `${field} — history`), h("div", { class: "ranges", role: "group", "aria-label": "Range" }, buttons), csv, h("button", { type: "button", class: "close", "aria-label": "Close history", onclick: () => { plot?.destroy(); onClose(); } }, "×")),
    chartHost,
    status,
  );
  show("hour");
  return panel;
}
