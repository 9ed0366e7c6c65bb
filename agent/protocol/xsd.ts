// XML Schema lexical forms used by XEP-0323 attributes, and XEP-0082 output.
import { ProtocolError } from "../errors.js";

/** xs:boolean: "true" | "false" | "1" | "0" (docs/protocol.md §1.1). Absent → undefined. */
export function parseXsBoolean(value: string | undefined, where: string): boolean | undefined {
  if (value === undefined) return undefined;
  switch (value.trim()) {
    case "true":
    case "1":
      return true;
    case "false":
    case "0":
      return false;
    default:
      throw new ProtocolError("bad-request", `${where}: expected xs:boolean, got "${value}"`);
  }
}

const INT_RE = /^[+-]?\d+$/;

/** xs:int (32-bit signed). Returns the lexical string unchanged: seqnr is echoed byte for byte. */
export function isXsInt(value: string): boolean {
  if (!INT_RE.test(value.trim())) return false;
  const n = Number(value);
  return n >= -2147483648 && n <= 2147483647;
}

// xs:dateTime: YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm]; zone optional (zoneless = local time, §1.3).
const DATETIME_RE =
  /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

export function parseXsDateTime(value: string, where: string): Date {
  const m = DATETIME_RE.exec(value.trim());
  const bad = () => new ProtocolError("bad-request", `${where}: expected xs:dateTime, got "${value}"`);
  if (!m) throw bad();
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = frac ? Math.round(Number(`0${frac}`) * 1000) : 0;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms] as const;
  if (parts[1] > 11 || parts[2] < 1 || parts[2] > 31 || parts[3] > 24 || parts[4] > 59 || parts[5] > 60) throw bad();
  let date: Date;
  if (zone === undefined) {
    date = new Date(...parts);
  } else {
    const utc = Date.UTC(...parts);
    const offset = zone === "Z" ? 0 : (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    date = new Date(utc - offset * 60_000);
  }
  if (Number.isNaN(date.getTime())) throw bad();
  return date;
}

/** XEP-0082 DateTime in UTC without fraction, e.g. 2024-05-01T10:15:00Z (docs/protocol.md §1.3). */
export function formatDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * A decimal with exactly `decimals` digits after the point. Precision is the lexical
 * form in XEP-0323 (no nrDecimals), so never String(float). "-0.00" becomes "0.00".
 */
export function formatDecimal(value: number, decimals: number): string {
  const s = value.toFixed(decimals);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}
