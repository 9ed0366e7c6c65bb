// Identity and status fields of a node (XEP-0323 field types `identity` and `status`, §1.1),
// built by the agent from what it knows of the node's poller. Only built when a request asks
// for one of these kinds, so the momentary fast path pays nothing.
import type { Field } from "../../drivers/types.js";
import type { Poller } from "../sensors/poller.js";
import { boardSerial } from "../ownership/board.js";
import { VERSION } from "../version.js";

let serial: string | null | undefined;

/** The board serial, read once (it cannot change while we run). */
function thingSerial(): string | undefined {
  if (serial === undefined) serial = boardSerial() ?? null;
  return serial ?? undefined;
}

/** driver, model (where the driver knows it), serial_number (the board's), thingd_version. */
export function identityFields(p: Poller, now: Date, serialNumber = thingSerial()): Field[] {
  const id = (name: string, value: string): Field => ({ type: "string", name, value, kind: "identity", timestamp: now });
  const fields = [id("driver", p.options.driver)];
  if (p.model) fields.push(id("model", p.model));
  if (serialNumber) fields.push(id("serial_number", serialNumber));
  fields.push(id("thingd_version", VERSION));
  return fields;
}

/**
 * uptime (of the poller), read_count, error_count, last_error ("" if none) and, once a read
 * has succeeded, seconds_since_good_read.
 */
export function statusFields(p: Poller, now: Date): Field[] {
  const timestamp = now;
  const t = now.getTime();
  const fields: Field[] = [
    { type: "duration", name: "uptime", value: Math.max(0, Math.round((t - p.startedAt) / 1000)), kind: "status", timestamp },
    { type: "int", name: "read_count", value: p.readCount, kind: "status", timestamp },
    { type: "int", name: "error_count", value: p.errorCount, kind: "status", timestamp },
    { type: "string", name: "last_error", value: p.lastError?.error.message ?? "", kind: "status", timestamp },
  ];
  if (p.latest) {
    const age = Math.max(0, (t - p.latest.at) / 1000);
    fields.push({ type: "numeric", name: "seconds_since_good_read", value: age, unit: "s", decimals: 0, kind: "status", timestamp });
  }
  return fields;
}

/** A node's readings plus the identity/status fields the wanted kinds call for. */
export function withNodeInfo(types: ReadonlySet<string>, p: Poller, fields: Field[], at?: Date): Field[] {
  const identity = types.has("identity");
  const status = types.has("status");
  if (!identity && !status) return fields; // the readout hot path: nothing to allocate
  const now = at ?? new Date();
  return [...fields, ...(identity ? identityFields(p, now) : []), ...(status ? statusFields(p, now) : [])];
}
