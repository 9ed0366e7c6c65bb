// The gpio-output driver over the fake onoff Gpio (test/fakes/onoff.ts): initial state without a
// glitch, active-low, pulse, safe state on close, and its control surface.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openGpioLine } from "../../../drivers/bus/gpio.js";
import { gpioOutput, gpioOutputConfigSchema, parsePulse } from "../../../drivers/gpio/gpio-output.js";
import type { DriverContext, Sensor } from "../../../drivers/types.js";
import { FakeGpio, loadOnoff } from "../../fakes/onoff.js";
import { busWith } from "../../helpers/bus.js";

const log = pino({ level: "silent" });
let root: string;
const signal = new AbortController().signal;

beforeEach(async () => {
  FakeGpio.instances = [];
  root = await mkdtemp(join(tmpdir(), "thingd-gpio-out-"));
  const chip = join(root, "class", "gpio", "gpiochip512");
  await mkdir(chip, { recursive: true });
  await writeFile(join(chip, "base"), "512\n");
  await writeFile(join(chip, "label"), "pinctrl-bcm2711\n");
  await writeFile(join(chip, "ngpio"), "58\n");
});
afterEach(() => rm(root, { recursive: true, force: true }));

function ctx(): DriverContext {
  const bus = busWith({ gpio: (o, l) => openGpioLine(o, l, { sysfsRoot: root, loadOnoff }), sysfsRoot: root });
  return { bus, log, id: "relay" };
}

async function open(config: Record<string, unknown>): Promise<{ sensor: Sensor; g: FakeGpio }> {
  const sensor = await gpioOutput.open(gpioOutputConfigSchema.parse(config), ctx());
  return { sensor, g: FakeGpio.instances[0]! };
}

async function state(sensor: Sensor): Promise<unknown> {
  const [f] = await sensor.read(signal);
  return f?.value;
}

const on = { type: "boolean", value: true } as const;
const off = { type: "boolean", value: false } as const;

describe("gpio-output", () => {
  it("starts off at a low level, switches, reads back a writable field, and is off after close", async () => {
    const { sensor, g } = await open({ pin: 17 });
    expect([g.gpio, g.direction, g.edgeSetting, g.options.activeLow]).toStrictEqual([529, "low", undefined, false]);
    expect(sensor.parameters).toStrictEqual([{ name: "output", type: "boolean" }]);
    const [field] = await sensor.read(signal);
    expect(field).toMatchObject({ type: "boolean", name: "output", value: false, writable: true, kind: "momentary" });
    await sensor.write!("output", on, signal);
    expect([g.physical, await state(sensor)]).toStrictEqual([1, true]);
    await sensor.write!("output", off, signal);
    expect([g.physical, await state(sensor)]).toStrictEqual([0, false]);
    await sensor.write!("output", on, signal);
    await sensor.close();
    expect([g.physical, g.unexported]).toStrictEqual([0, true]);
    await expect(sensor.write!("output", on, signal)).rejects.toThrow("relay: output closed");
  });

  it("active-low: exported high (relay off) with no low glitch, on = low", async () => {
    const { sensor, g } = await open({ pin: 23, active_low: true, field: "relay" });
    // The first level the pin ever sees is the raw level of the direction: high = off.
    expect([g.direction, g.options.activeLow, g.physical]).toStrictEqual(["high", true, 1]);
    expect(await state(sensor)).toBe(false);
    await sensor.write!("relay", on, signal);
    expect([g.physical, await state(sensor)]).toStrictEqual([0, true]);
    await sensor.close();
    expect(g.physical).toBe(1);
  });

  it("initial on; safe_state on and keep", async () => {
    const a = await open({ pin: 5, initial: "on", safe_state: "on" });
    expect([a.g.direction, await state(a.sensor)]).toStrictEqual(["high", true]);
    await a.sensor.write!("output", off, signal);
    await a.sensor.close();
    expect(a.g.physical).toBe(1);

    FakeGpio.instances = [];
    const b = await open({ pin: 6, safe_state: "keep" });
    await b.sensor.write!("output", on, signal);
    const writes = b.g.written.length;
    await b.sensor.close();
    expect([b.g.physical, b.g.written.length, b.g.unexported]).toStrictEqual([1, writes, true]);
  });

  it("pulse: on, then off by itself; a false write or close ends it early", async () => {
    const { sensor, g } = await open({ pin: 17, pulse: "80ms" });
    let changes = 0;
    sensor.onChange!(() => changes++);
    const started = performance.now();
    await sensor.write!("output", on, signal);
    expect([g.physical, changes]).toStrictEqual([1, 0]);
    await expect.poll(() => g.physical, { timeout: 2_000, interval: 5 }).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    await expect.poll(() => changes).toBe(1); // the readout cache learns the pulse ended

    await sensor.write!("output", on, signal);
    await sensor.write!("output", off, signal);
    const count = g.written.length;
    await new Promise((r) => setTimeout(r, 150));
    expect([g.physical, g.written.length]).toStrictEqual([0, count]); // the cancelled pulse wrote nothing

    await sensor.write!("output", on, signal);
    await sensor.close();
    const afterClose = g.written.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(g.written.length).toBe(afterClose);
  });

  it("refuses unknown parameters and wrong types", async () => {
    const { sensor } = await open({ pin: 17 });
    await expect(sensor.write!("Output", on, signal)).rejects.toThrow('relay: no boolean parameter "Output"');
    await expect(sensor.write!("output", { type: "int", value: 1 }, signal)).rejects.toThrow('relay: no int parameter "output"');
    await sensor.close();
  });

  it("checks its config: states, pulse durations, field names", () => {
    const issues = (c: Record<string, unknown>) => gpioOutputConfigSchema.safeParse(c).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(issues({ pin: 17, initial: true })).toStrictEqual(['initial: expected an initial state "on" or "off", got true']);
    expect(issues({ pin: 17, safe_state: "open" })).toStrictEqual(['safe_state: expected "on", "off" or "keep", got "open"']);
    expect(issues({ pin: 17, pulse: "1 second" })).toStrictEqual(['pulse: expected a duration like "500ms" between 1ms and 24h, got "1 second"']);
    expect(issues({ pin: 17, pulse: "2d" })).toHaveLength(1);
    expect(issues({ pin: 17, field: "my relay" })).toHaveLength(1);
    expect(issues({ pin: 17, debounce_ms: 5 })).toHaveLength(1); // strict: inputs only
    expect(gpioOutputConfigSchema.parse({ pin: 17 })).toStrictEqual({ pin: 17, active_low: false, initial: "off", safe_state: "off", field: "output" });
    expect([parsePulse("500ms"), parsePulse("1.5s"), parsePulse("0ms"), parsePulse("25h")]).toStrictEqual([500, 1500, undefined, undefined]);
    expect(gpioOutput.describeFields(gpioOutputConfigSchema.parse({ pin: 1, field: "pump" }))).toStrictEqual([{ name: "pump", type: "boolean" }]);
  });
});
