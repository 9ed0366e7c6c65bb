// One field's history as a uPlot chart: the mean line, a min/max band where the Thing returned
// buckets, hover values with units (uPlot's legend), drag to zoom, double-click to reset.
import uPlot from "uplot";
import type { Series } from "./history.js";

export function drawChart(host: HTMLElement, s: Series): uPlot {
  const width = Math.max(260, Math.min(host.clientWidth || 600, 900));
  const fmt = (_u: uPlot, v: number | null) => (v === null || v === undefined ? "–" : `${+v.toFixed(3)}${s.unit ? ` ${s.unit}` : ""}`);
  const series: uPlot.Series[] = [{ label: "time" }, { label: s.field, stroke: "#1565c0", width: 2, value: fmt }];
  const data: uPlot.AlignedData = [s.t, s.v];
  const opts: uPlot.Options = {
    width,
    height: 240,
    series,
    axes: [{}, { label: s.unit ?? "", size: 60 }],
    scales: { x: { time: true } },
    cursor: { drag: { x: true, y: false } },
  };
  if (s.hasBand) {
    series.push({ label: "min", stroke: "#90caf9", value: fmt }, { label: "max", stroke: "#90caf9", value: fmt });
    data.push(s.min, s.max);
    opts.bands = [{ series: [3, 2], fill: "rgba(21,101,192,0.12)" }];
  }
  return new uPlot(opts, data, host);
}
