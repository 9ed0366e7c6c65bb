import { describe, expect, it } from "vitest";
import { nextDue, onTimer, onTrigger, type Timing } from "../../../agent/events/timing.js";

const timing = (o: Partial<Timing> = {}): Timing => ({ lastSentAt: 1000, held: false, online: true, ...o });

describe("event timing", () => {
  it("a trigger within minInt is held, then due when minInt is up", () => {
    const t = timing({ minIntMs: 5000 });
    expect(onTrigger(t, 3000)).toBe("hold");
    t.held = true;
    expect(nextDue(t)).toBe(6000);
    expect(onTimer(t, 5999)).toBeUndefined();
    expect(onTimer(t, 6000)).toBe("send");
    expect(onTrigger(timing({ minIntMs: 5000 }), 6000)).toBe("send");
  });

  it("maxInt sends without a trigger; the earlier of the two deadlines wins", () => {
    const t = timing({ minIntMs: 2000, maxIntMs: 10_000 });
    expect(nextDue(t)).toBe(11_000);
    expect(onTimer(t, 10_999)).toBeUndefined();
    expect(onTimer(t, 11_000)).toBe("send");
    t.held = true;
    expect(nextDue(t)).toBe(3000);
  });

  it("offline: everything is held, nothing is due", () => {
    const t = timing({ online: false, maxIntMs: 1000 });
    expect(onTrigger(t, 99_999)).toBe("hold");
    expect(nextDue(t)).toBeUndefined();
    expect(onTimer(t, 99_999)).toBeUndefined();
  });

  it("without minInt or maxInt a trigger sends at once and nothing is scheduled", () => {
    const t = timing();
    expect(onTrigger(t, 1000)).toBe("send");
    expect(nextDue(t)).toBeUndefined();
  });
});
