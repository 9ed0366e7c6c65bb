// A digital output (relay board, LED, buzzer) on one GPIO pin, switched over XEP-0325 control.
// One boolean field (default name `output`), marked writable, and a boolean control parameter of
// the same name. `pulse` makes it a push button: `true` switches on, then off after the pulse.
//
// Start-up: the line is exported straight at its initial raw level ("high"/"low" direction, the
// kernel's glitch-free form), so an active-low relay board does not click on while thingd starts.
// Shutdown (close): the output goes to `safe_state` before the line is released; `keep` leaves it.
import { z } from "zod";
import type { GpioLine } from "../bus/types.js";
import type { ControlParameterInfo, DriverDefinition, Field, Sensor } from "../types.js";

// The sensor map's duration syntax (agent/config/duration.ts; drivers never import agent/).
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
/** setTimeout's limit is ~24.8 days; a relay pulse is seconds to hours. */
const MAX_PULSE_MS = 24 * 3_600_000;

export function parsePulse(s: string): number | undefined {
  const m = DURATION.exec(s);
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
  return ms >= 1 && ms <= MAX_PULSE_MS ? ms : undefined;
}

const onOff = (what: string) =>
  z.enum(["on", "off"], { error: (iss) => `expected ${what} "on" or "off", got ${JSON.stringify(iss.input)}` });

export const gpioOutputConfigSchema = z
  .object({
    /** BCM pin number (GPIO17 = 17), not the header position. */
    pin: z.number().int().min(0, "expected a BCM pin number").max(57, "expected a BCM pin number (0..57)"),
    /** "on" drives the pin low (most relay boards switch on a low input). */
    active_low: z.boolean().default(false),
    /** State at start-up. */
    initial: onOff("an initial state").default("off"),
    /** State on shutdown or reload (close); "keep" leaves the output as it is. */
    safe_state: z
      .enum(["on", "off", "keep"], { error: (iss) => `expected "on", "off" or "keep", got ${JSON.stringify(iss.input)}` })
      .default("off"),
    /** If set, a `true` write switches on for this long, then off (door openers, pumps). */
    pulse: z
      .string({ error: (iss) => `expected a duration like "500ms", got ${JSON.stringify(iss.input)}` })
      .refine((s) => parsePulse(s) !== undefined, {
        error: (iss) => `expected a duration like "500ms" between 1ms and 24h, got ${JSON.stringify(iss.input)}`,
      })
      .optional(),
    /** Field and control parameter name. */
    field: z.string().regex(/^\S{1,64}$/, "expected a field name without spaces (1-64 characters)").default("output"),
  })
  .strict();

export type GpioOutputConfig = z.infer<typeof gpioOutputConfigSchema>;

function bit(on: boolean): 0 | 1 {
  return on ? 1 : 0;
}

export const gpioOutput: DriverDefinition<GpioOutputConfig> = {
  name: "gpio-output",
  bus: "gpio",
  description: "Digital output on a GPIO pin (relay, LED): a writable on/off state, switched by XEP-0325 control",
  configSchema: gpioOutputConfigSchema,
  example: { pin: 23, active_low: true, initial: "off", safe_state: "off", field: "relay" },
  describeFields: (config) => [{ name: config.field, type: "boolean" }],
  drivesOutputs: true,
  async open(config, ctx): Promise<Sensor> {
    const initial = config.initial === "on";
    const raw = bit(initial) ^ bit(config.active_low);
    const line: GpioLine = await ctx.bus.gpio({
      pin: config.pin,
      direction: raw ? "high" : "low",
      activeLow: config.active_low,
    }, ctx.log);
    const pulseMs = config.pulse === undefined ? undefined : parsePulse(config.pulse);
    let pulseTimer: NodeJS.Timeout | undefined;
    const listeners = new Set<() => void>();
    let closed = false;
    // Serialise writes: a pulse ending while a client switches must not interleave.
    let chain: Promise<void> = Promise.resolve();
    const set = (on: boolean): Promise<void> => {
      const next = chain.then(() => line.write(bit(on)));
      chain = next.catch(() => {});
      return next;
    };
    const cancelPulse = () => {
      if (pulseTimer) clearTimeout(pulseTimer);
      pulseTimer = undefined;
    };
    try {
      // Some kernels ignore "high"/"low" on an already-exported line: state it once more.
      await set(initial);
    } catch (err) {
      await line.close();
      throw err;
    }
    const parameters: ControlParameterInfo[] = [{ name: config.field, type: "boolean" }];
    return {
      parameters,
      async read(signal) {
        if (signal.aborted) throw signal.reason;
        const value = (await line.read()) === 1;
        return [{ type: "boolean", name: config.field, value, kind: "momentary", writable: true, timestamp: new Date() }] satisfies Field[];
      },
      async write(name, value, signal) {
        if (closed) throw new Error(`${ctx.id}: output closed`);
        if (name !== config.field || value.type !== "boolean") throw new Error(`${ctx.id}: no ${value.type} parameter "${name}"`);
        if (signal.aborted) throw signal.reason;
        cancelPulse();
        await set(value.value);
        if (value.value && pulseMs !== undefined) {
          pulseTimer = setTimeout(() => {
            pulseTimer = undefined;
            set(false)
              .then(() => listeners.forEach((l) => l()))
              .catch((err: unknown) => ctx.log.error({ err }, "pulse end: cannot switch the output off"));
          }, pulseMs);
        }
      },
      onChange(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      async close() {
        if (closed) return;
        listeners.clear();
        closed = true;
        cancelPulse();
        try {
          if (config.safe_state !== "keep") await set(config.safe_state === "on");
        } catch (err) {
          ctx.log.error({ err, safeState: config.safe_state }, "cannot drive the output to its safe state");
        }
        await line.close();
      },
    };
  },
};
