// Alert rules of the sensor map's `alerts:` section (README "Alerts"): when does a rule hold?
// `above`/`below` with hysteresis (a rule that holds clears only past `clear_below` /
// `clear_above`), `stale` (no good read for that long), `failing` (the latest read failed).
// Pure: the caller passes the sensor's state and the clock.
import type { Field } from "../../drivers/types.js";
import { fieldValueText } from "../protocol/field-value.js";

import type { AlertConfig } from "../config/types.js";

export type { AlertCondition } from "../config/types.js";
/** A rule as the sensor map's `alerts[]` gives it (resolved in agent/config/resolve.ts). */
export type AlertRule = AlertConfig;

/** What a rule looks at of its sensor (a Poller satisfies it). */
export interface SensorState {
  latest?: { fields: Field[]; at: number } | undefined;
  lastError?: { error: Error; at: number } | undefined;
  startedAt: number;
}

export interface Verdict {
  holds: boolean;
  /** What was seen, for the message ("pm2_5 = 41 µg/m³", "last read 6m ago"). */
  detail: string;
}

function numeric(f: Field | undefined): number | undefined {
  if (!f) return undefined;
  switch (f.type) {
    case "numeric":
    case "int":
    case "duration":
      return f.value;
    case "long":
      return Number(f.value);
    case "boolean":
      return f.value ? 1 : 0;
    default:
      return undefined;
  }
}

/** Does `rule` hold now, given whether it held before (hysteresis)? */
export function evaluate(rule: AlertRule, s: SensorState, now: number, active: boolean): Verdict {
  const c = rule.condition;
  switch (c.kind) {
    case "above":
    case "below": {
      const f = s.latest?.fields.find((x) => x.name === rule.field);
      const v = numeric(f);
      if (v === undefined || !f) return { holds: active, detail: `${rule.field ?? "?"} has no value` };
      const unit = f.type === "numeric" && f.unit ? ` ${f.unit}` : "";
      const detail = `${f.name} = ${fieldValueText(f)}${unit}`;
      if (c.kind === "above") return { holds: active ? v >= c.clear : v > c.value, detail };
      return { holds: active ? v <= c.clear : v < c.value, detail };
    }
    case "stale": {
      const since = s.latest?.at ?? s.startedAt;
      const age = now - since;
      return { holds: age > c.ms, detail: s.latest ? `last good read ${Math.round(age / 1000)} s ago` : `no good read in ${Math.round(age / 1000)} s` };
    }
    case "failing": {
      const failing = s.lastError !== undefined && s.lastError.at > (s.latest?.at ?? -Infinity);
      return { holds: failing, detail: failing ? `read failed: ${s.lastError!.error.message}` : "reading again" };
    }
  }
}
