// Human log lines for a terminal and for `thingd logs`: one short line per record,
//   12:03:04 WARN  sensor read failed  sensor=bad driver=simulated err="simulated failure"
// time, level, message, then the record's own details; no pid, no stack trace (the JSON form,
// `--log-format json`, keeps everything). Part of thingd so nothing has to be downloaded on
// the Pi to read its journal.

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO ", 40: "WARN ", 50: "ERROR", 60: "FATAL" };
/** Fields every record has, or that say nothing to a reader. */
const SKIP = new Set(["level", "time", "pid", "hostname", "msg", "v"]);

/** One JSON log line (optionally "<N>"-prefixed) as a human line; other text is returned as is. */
export function prettyLine(line: string): string {
  const text = line.replace(/^<\d>/, "").trim();
  let rec: Record<string, unknown>;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || typeof (parsed as { level?: unknown }).level !== "number") return line.trimEnd();
    rec = parsed as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const level = LEVELS[rec.level as number] ?? `L${String(rec.level)}`;
  const time = typeof rec.time === "number" ? `${clock(rec.time)} ` : "";
  const details: string[] = [];
  for (const [key, value] of Object.entries(rec)) {
    if (SKIP.has(key) || value === undefined) continue;
    if (key === "qr" && typeof value === "string") continue; // a QR code is many lines of blocks
    details.push(`${key}=${key === "err" ? errorText(value) : valueText(value)}`);
  }
  const msg = typeof rec.msg === "string" ? rec.msg : "";
  return `${time}${level} ${msg}${details.length ? `  ${details.join(" ")}` : ""}`;
}

function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function valueText(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  return JSON.stringify(value);
}

/** `"message" (CODE)`: what an error says and its errno/XMPP condition, never its stack. */
function errorText(err: unknown): string {
  if (typeof err !== "object" || err === null) return valueText(err);
  const e = err as { message?: unknown; code?: unknown; condition?: unknown };
  const message = typeof e.message === "string" && e.message !== "" ? e.message : JSON.stringify(err);
  const code = typeof e.code === "string" ? e.code : typeof e.condition === "string" ? e.condition : undefined;
  return `${JSON.stringify(message)}${code && !message.includes(code) ? ` (${code})` : ""}`;
}
