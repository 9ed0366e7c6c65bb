// The at-a-glance text of `thingd status`.
import { formatTable } from "../commands/table.js";
import type { StatusSnapshot } from "./status.js";

export function formatStatus(snapshot: StatusSnapshot, live: boolean, now = Date.now()): string {
  const at = Date.parse(snapshot.generatedAt);
  const lines: string[] = [];
  if (!live) {
    const age = Math.max(0, Math.round((now - at) / 1000));
    lines.push(`STALE: last known state, written ${formatSeconds(age)} ago (${snapshot.generatedAt})`);
  }
  const { xmpp, registry } = snapshot;
  const since = xmpp.connectedSince
    ? `  since ${xmpp.connectedSince} (${formatSeconds(Math.round((at - Date.parse(xmpp.connectedSince)) / 1000))})`
    : "";
  lines.push(`XMPP      ${xmpp.state}  ${xmpp.jid}${since}`);
  if (xmpp.problem) {
    const wait = Math.max(0, Math.round((Date.parse(xmpp.problem.retryAt) - at) / 1000));
    lines.push(`          ${xmpp.problem.summary} since ${xmpp.problem.since}; next attempt in ${formatSeconds(wait)}`);
    lines.push(`          ${xmpp.problem.detail}`);
  }
  const owner = registry.owner ? `  owner ${registry.owner}` : "";
  lines.push(`Registry  ${registry.status}${owner}${registry.jid ? `  at ${registry.jid}` : ""}`);
  if (snapshot.clock?.state === "unsynchronised") {
    const held = snapshot.clock.heldReadings ? `; ${snapshot.clock.heldReadings} readings held back from history until it is` : "";
    lines.push(`Clock     not synchronised (no NTP sync since boot${held})`);
  }
  lines.push(
    `Process   thingd ${snapshot.version}, pid ${snapshot.pid}, up ${formatSeconds(snapshot.uptimeSeconds)}, ` +
      `RSS ${mb(snapshot.rssBytes)}, heap ${mb(snapshot.heapUsedBytes)}`,
  );
  lines.push("");
  const rows = [["SENSOR", "DRIVER", "LAST VALUES", "AGE", "ERRORS"]];
  for (const s of snapshot.sensors) {
    const values = s.lastValues.map((v) => `${v.name} ${v.value}${v.unit ? ` ${v.unit}` : ""}`).join(", ");
    const errors = s.failing ? `${s.errorCount} FAILING: ${s.lastError ?? "?"}` : String(s.errorCount);
    rows.push([s.id, s.driver, values || "-", s.ageSeconds === undefined ? "never" : formatSeconds(s.ageSeconds), errors]);
  }
  lines.push(formatTable(rows));
  return lines.join("\n");
}

/** 42s, 5m 3s, 2h 5m, 3d 4h: two units at most, enough to judge at a glance. */
export function formatSeconds(total: number): string {
  const s = Math.max(0, Math.round(total));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
