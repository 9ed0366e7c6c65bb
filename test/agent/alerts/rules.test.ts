import { describe, expect, it } from "vitest";
import { evaluate, type AlertRule } from "../../../agent/alerts/rules.js";
import type { Field } from "../../../drivers/types.js";

const pm = (value: number): { fields: Field[]; at: number } => ({
  fields: [{ type: "numeric", name: "pm2_5", value, unit: "µg/m³", decimals: 0, timestamp: new Date(0) }],
  at: 1000,
});
const above: AlertRule = { name: "air pm2_5 above 35", sensor: "air", field: "pm2_5", condition: { kind: "above", value: 35, clear: 25 }, to: ["owner"] };

describe("alert rules", () => {
  it("above with hysteresis: starts above 35, clears only below 25", () => {
    const seq = [30, 36, 30, 26, 25, 24, 36];
    let active = false;
    const states = seq.map((v) => (active = evaluate(above, { latest: pm(v), startedAt: 0 }, 2000, active).holds));
    expect(states).toStrictEqual([false, true, true, true, true, false, true]);
    expect(evaluate(above, { latest: pm(41), startedAt: 0 }, 2000, false).detail).toBe("pm2_5 = 41 µg/m³");
  });

  it("below mirrors above", () => {
    const below: AlertRule = { ...above, condition: { kind: "below", value: 10, clear: 12 } };
    expect(evaluate(below, { latest: pm(9), startedAt: 0 }, 0, false).holds).toBe(true);
    expect(evaluate(below, { latest: pm(11), startedAt: 0 }, 0, true).holds).toBe(true);
    expect(evaluate(below, { latest: pm(12.5), startedAt: 0 }, 0, true).holds).toBe(false);
  });

  it("stale: no good read for longer than the limit (counting from start when never read)", () => {
    const stale: AlertRule = { name: "air stale", sensor: "air", condition: { kind: "stale", ms: 60_000 }, to: ["owner"] };
    expect(evaluate(stale, { latest: pm(1), startedAt: 0 }, 61_000, false).holds).toBe(false);
    expect(evaluate(stale, { latest: pm(1), startedAt: 0 }, 61_001, false).holds).toBe(true);
    expect(evaluate(stale, { startedAt: 0 }, 60_001, false)).toStrictEqual({ holds: true, detail: "no good read in 60 s" });
  });

  it("failing: the latest attempt failed", () => {
    const failing: AlertRule = { name: "air failing", sensor: "air", condition: { kind: "failing" }, to: ["owner"] };
    expect(evaluate(failing, { latest: pm(1), lastError: { error: new Error("no ack"), at: 2000 }, startedAt: 0 }, 3000, false)).toStrictEqual({
      holds: true,
      detail: "read failed: no ack",
    });
    expect(evaluate(failing, { latest: { ...pm(1), at: 2500 }, lastError: { error: new Error("no ack"), at: 2000 }, startedAt: 0 }, 3000, true).holds).toBe(
      false,
    );
  });
});
