import { describe, expect, it } from "vitest";
import type { Field } from "../../../drivers/types.js";
import { fires, initialRefs, remember, ruleFires } from "../../../agent/events/trigger.js";

const t = (value: number, name = "temperature"): Field => ({ type: "numeric", name, value, unit: "°C", decimals: 1, timestamp: new Date(0) });

describe("event triggers", () => {
  it("by fires on a change of at least `by` either way; up and dn one way only", () => {
    expect(ruleFires({ name: "t", by: 0.5 }, 20, 20.4)).toBe(false);
    expect(ruleFires({ name: "t", by: 0.5 }, 20, 20.5)).toBe(true);
    expect(ruleFires({ name: "t", by: 0.5 }, 20, 19.5)).toBe(true);
    expect(ruleFires({ name: "t", up: 1 }, 20, 19)).toBe(false);
    expect(ruleFires({ name: "t", up: 1 }, 20, 21)).toBe(true);
    expect(ruleFires({ name: "t", dn: 1 }, 20, 21)).toBe(false);
    expect(ruleFires({ name: "t", dn: 1 }, 20, 18.9)).toBe(true);
    expect(ruleFires({ name: "t" }, 20, 20)).toBe(false);
    expect(ruleFires({ name: "t" }, 20, 20.1)).toBe(true);
    expect(ruleFires({ name: "t", by: 1 }, undefined, 20)).toBe(true);
    expect(ruleFires({ name: "s" }, "on", "off")).toBe(true);
  });

  it("compares against the last value sent, not the last value seen (no creeping past the threshold)", () => {
    const rules = [{ name: "temperature", by: 1 }];
    const refs = initialRefs([], ["room"]);
    remember(refs, "room", [t(20)]);
    // 20.6, 20.9: each step is small and the reference stays 20, so 21.0 fires.
    expect(fires(rules, refs, "room", [t(20.6)])).toBe(false);
    expect(fires(rules, refs, "room", [t(20.9)])).toBe(false);
    expect(fires(rules, refs, "room", [t(21.0)])).toBe(true);
    remember(refs, "room", [t(21.0)]);
    expect(fires(rules, refs, "room", [t(21.9)])).toBe(false);
  });

  it("the subscriber's v is the first reference; without rules any change fires", () => {
    const refs = initialRefs([{ name: "temperature", v: 25, by: 2 }], ["room"]);
    expect(fires([{ name: "temperature", v: 25, by: 2 }], refs, "room", [t(23.5)])).toBe(false);
    expect(fires([{ name: "temperature", v: 25, by: 2 }], refs, "room", [t(22.9)])).toBe(true);
    const any = initialRefs([], ["room"]);
    remember(any, "room", [t(20), t(50, "humidity")]);
    expect(fires([], any, "room", [t(20), t(50, "humidity")])).toBe(false);
    expect(fires([], any, "room", [t(20), t(51, "humidity")])).toBe(true);
  });
});
