// The lexical (XML Schema) form of every field value type (docs/protocol.md §1.3), shared by both
// sensor-data serialisers, the status snapshot and `thingd read`.
import type { Field } from "../../drivers/types.js";
import { formatDateTime, formatDecimal } from "./xsd.js";

/** xs:date of the UTC calendar day, e.g. 2024-05-01. */
export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** xs:time from seconds since midnight, e.g. 10:15:00 or 10:15:00.250 (no zone: local time of day). */
export function formatTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000) % 24;
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const frac = ms % 1000;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(h)}:${pad(m)}:${pad(s)}${frac ? `.${String(frac).padStart(3, "0").replace(/0+$/, "")}` : ""}`;
}

/**
 * xs:duration from seconds, in days/hours/minutes/seconds only (months and years have no
 * fixed length): 93784 → P1DT2H3M4S, 0 → PT0S, -90 → -PT1M30S.
 */
export function formatDuration(seconds: number): string {
  const sign = seconds < 0 ? "-" : "";
  let ms = Math.round(Math.abs(seconds) * 1000);
  const d = Math.floor(ms / 86_400_000);
  ms -= d * 86_400_000;
  const h = Math.floor(ms / 3_600_000);
  ms -= h * 3_600_000;
  const m = Math.floor(ms / 60_000);
  ms -= m * 60_000;
  const s = ms / 1000;
  let time = "";
  if (h) time += `${h}H`;
  if (m) time += `${m}M`;
  if (s || (!d && !h && !m)) time += `${s}S`;
  return `${sign}P${d ? `${d}D` : ""}${time ? `T${time}` : ""}`;
}

/** The `value` attribute of a field, as both dialects write it. */
export function fieldValueText(f: Field): string {
  switch (f.type) {
    case "numeric":
      return formatDecimal(f.value, f.decimals);
    case "boolean":
      return f.value ? "true" : "false";
    case "int":
      return String(Math.trunc(f.value));
    case "long":
      return f.value.toString();
    case "date":
      return formatDate(f.value);
    case "time":
      return formatTime(f.value);
    case "dateTime":
      return formatDateTime(f.value);
    case "duration":
      return formatDuration(f.value);
    case "string":
    case "enum":
      return f.value;
  }
}

/** A JSON-safe value: numbers and booleans stay typed, everything else is its lexical form. */
export function fieldJsonValue(f: Field): string | number | boolean {
  switch (f.type) {
    case "numeric":
      return Number(formatDecimal(f.value, f.decimals));
    case "int":
    case "boolean":
    case "string":
    case "enum":
      return f.value;
    default:
      return fieldValueText(f);
  }
}
