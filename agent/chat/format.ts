// Chat answers as plain text that reads well raw and styled (XEP-0393: *bold*, `code`),
// one line a field; and the same readout as a Markdown table for clients that take
// urn:xmpp:content (IoTGateway's way). Pure.
import type { Field } from "../../drivers/types.js";
import { fieldValueText } from "../protocol/field-value.js";
import type { StatusSnapshot } from "../ops/status.js";
import { formatSeconds } from "../ops/status-format.js";
import type { ControlParameterView, NodeOutcome } from "../people/thing-api.js";

export function valueWithUnit(f: Field): string {
  const v = fieldValueText(f);
  return f.type === "numeric" && f.unit ? `${v} ${f.unit}` : v;
}

/** One line a field: `room temperature: *21.50 °C*`; a failing node: `air: FAILED simulated failure`. */
export function formatReadout(outcomes: readonly NodeOutcome[]): string {
  const lines: string[] = [];
  for (const o of outcomes) {
    if ("error" in o) lines.push(`${o.nodeId}: FAILED ${o.error}`);
    else for (const f of o.fields) lines.push(`${o.nodeId} ${f.name}: *${valueWithUnit(f)}*`);
  }
  return lines.length > 0 ? lines.join("\n") : "No fields.";
}

function cell(s: string): string {
  return s.replace(/\|/g, "\\|");
}

export function readoutMarkdown(outcomes: readonly NodeOutcome[]): string {
  const rows = ["| Node | Field | Value | Unit |", "|---|---|---:|---|"];
  for (const o of outcomes) {
    if ("error" in o) rows.push(`| ${cell(o.nodeId)} | *error* | ${cell(o.error)} | |`);
    else
      for (const f of o.fields) rows.push(`| ${cell(o.nodeId)} | ${cell(f.name)} | ${cell(fieldValueText(f))} | ${f.type === "numeric" ? cell(f.unit) : ""} |`);
  }
  return rows.join("\n");
}

export function formatParameters(params: readonly ControlParameterView[]): string {
  if (params.length === 0) return "No control parameters.";
  return params.map((p) => `${p.node}.${p.name} (${p.type}) = *${p.value ? valueWithUnit(p.value) : "?"}*`).join("\n");
}

export function formatStatusText(s: StatusSnapshot): string {
  const lines = [
    `*thingd ${s.version}*, up ${formatSeconds(s.uptimeSeconds)}`,
    `XMPP: ${s.xmpp.state} as ${s.xmpp.jid}`,
    `Registry: ${s.registry.status}${s.registry.owner ? `, owner ${s.registry.owner}` : ""}`,
  ];
  for (const x of s.sensors) {
    const age = x.ageSeconds === undefined ? "never read" : `read ${formatSeconds(x.ageSeconds)} ago`;
    const errors = x.failing ? `, FAILING: ${x.lastError ?? "?"}` : x.errorCount > 0 ? `, ${x.errorCount} errors` : "";
    lines.push(`${x.id} (${x.driver}): ${age}${errors}`);
  }
  return lines.join("\n");
}

export function formatMenu(extended: boolean): string {
  const lines = [
    "*Commands* (one a line):",
    "`?` read every sensor now",
    "`??` the same, plus identity and status fields",
    "`NAME?` fields or sensors whose name starts with NAME, e.g. `temp?`",
    "`:=` control parameters and their values",
    "`NAME:=VALUE` set one, e.g. `relay1.relay:=on`",
    "`status` uptime, connection, registry and each sensor's last read",
    "`#` this menu",
  ];
  if (extended) {
    lines.push(
      "",
      "`NAME??` as `NAME?`, with identity and status fields",
      "`NAME:=` show one control parameter",
      "Only the owner and configured controllers may set parameters.",
      "Apps with ad-hoc commands (Gajim, Psi, Movim, Cheogram, Converse.js) also find Read sensors, Set output and Status there.",
    );
  }
  return lines.join("\n");
}
