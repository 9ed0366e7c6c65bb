// A pulse counter on one GPIO pin: S0 electricity meters (DIN EN 62053-31, e.g. 1000 imp/kWh),
// reed-contact water and gas meters. Each pulse is worth `per_pulse` (value + unit); the driver
// reports `total` (pulses × per_pulse.value, in per_pulse.unit, since the sensor opened plus
// `start_total`) and `rate` (the amount over the last poll interval, converted to `rate_unit`).
//
// Config:
//   pin: 27                                # BCM pin number
//   edge: falling                          # S0 / reed to ground with a pull-up: the pulse pulls low
//   debounce_ms: 5                         # S0 pulses last >= 30 ms; reed contacts bounce ~1-5 ms
//   per_pulse: { value: 0.001, unit: kWh } # 1000 imp/kWh
//   rate_unit: W                           # optional; default per unit, see RATE_FACTORS
//   start_total: 12345.6                   # optional; the meter's reading when counting began
//
// Counts live in memory: a restart starts again from `start_total` (the daemon does not persist).
// Pull-ups: sysfs cannot set bias; see gpio-input.ts (`gpio=27=ip,pu` in config.txt).
import { z } from "zod";
import { UNITS, type DriverDefinition, type Field, type Sensor, type Unit } from "../types.js";

/**
 * rate = amount (in the pulse unit) × factor / seconds. The first rate unit of each pulse unit is
 * the default. Only these pairs are accepted, so a config can never pair litres with watts.
 */
export const RATE_FACTORS = {
  kWh: { W: 3_600_000, kW: 3600 },
  Wh: { W: 3600, kW: 3.6 },
  l: { "l/min": 60, "m³/h": 3.6 },
  "m³": { "m³/h": 3600, "l/min": 60_000 },
  "": { Hz: 1 },
} as const satisfies Partial<Record<Unit, Partial<Record<Unit, number>>>>;

type PulseUnit = keyof typeof RATE_FACTORS;
const PULSE_UNITS = Object.keys(RATE_FACTORS) as PulseUnit[];

function rateUnitsOf(unit: PulseUnit): Unit[] {
  return Object.keys(RATE_FACTORS[unit]) as Unit[];
}

export const gpioCounterConfigSchema = z
  .object({
    pin: z.number().int().min(0, "expected a BCM pin number").max(57, "expected a BCM pin number (0..57)"),
    /** The edge that counts one pulse. */
    edge: z.enum(["rising", "falling"]).default("falling"),
    debounce_ms: z.number().int().min(0).max(10_000).default(5),
    active_low: z.boolean().default(false),
    per_pulse: z
      .object({
        value: z.number().positive("expected the amount one pulse stands for, e.g. 0.001"),
        unit: z.enum(PULSE_UNITS as [PulseUnit, ...PulseUnit[]], {
          error: () => `expected a pulse unit, one of: ${PULSE_UNITS.map((u) => JSON.stringify(u)).join(" ")}`,
        }),
      })
      .strict(),
    rate_unit: z.enum(UNITS).optional(),
    start_total: z.number().default(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    const allowed = rateUnitsOf(c.per_pulse.unit);
    if (c.rate_unit !== undefined && !allowed.includes(c.rate_unit)) {
      ctx.addIssue({
        code: "custom",
        path: ["rate_unit"],
        message: `expected a rate unit for ${JSON.stringify(c.per_pulse.unit)}: one of ${allowed.join(" ")}`,
      });
    }
  });

export type GpioCounterConfig = z.infer<typeof gpioCounterConfigSchema>;

export function rateUnitOf(config: GpioCounterConfig): Unit {
  return config.rate_unit ?? rateUnitsOf(config.per_pulse.unit)[0]!;
}

/** Decimals that show one pulse: 0.001 → 3, 0.5 → 1, 10 → 0. */
export function decimalsOf(value: number): number {
  const text = String(value);
  const exp = /e-(\d+)$/.exec(text);
  if (exp) return Number(exp[1]);
  return text.split(".")[1]?.length ?? 0;
}

export const gpioCounter: DriverDefinition<GpioCounterConfig> = {
  name: "gpio-counter",
  bus: "gpio",
  description: "Pulse counter on a GPIO pin (S0 energy meter, water/gas meter): total and rate",
  configSchema: gpioCounterConfigSchema,
  example: { pin: 27, edge: "falling", debounce_ms: 5, per_pulse: { value: 0.001, unit: "kWh" }, rate_unit: "W" },
  describeFields: (config) => [
    { name: "total", type: "numeric", unit: config.per_pulse.unit },
    { name: "rate", type: "numeric", unit: rateUnitOf(config) },
  ],
  async open(config, ctx): Promise<Sensor> {
    const rateUnit = rateUnitOf(config);
    const factor = (RATE_FACTORS[config.per_pulse.unit] as Partial<Record<Unit, number>>)[rateUnit]!;
    const line = await ctx.bus.gpio({
      pin: config.pin,
      direction: "in",
      edge: config.edge,
      activeLow: config.active_low,
      debounceMs: config.debounce_ms,
    }, ctx.log);
    let pulses = 0;
    let unwatch: () => void;
    try {
      // The line only reports the configured edge, so every callback is one pulse.
      unwatch = line.watch(() => {
        pulses++;
      });
    } catch (err) {
      await line.close();
      throw err;
    }
    // Monotonic clock for the interval: wall time jumps on a Pi when NTP first syncs (no RTC).
    let last = { pulses: 0, at: performance.now() };
    const totalDecimals = decimalsOf(config.per_pulse.value);
    return {
      async read(signal) {
        if (signal.aborted) throw signal.reason;
        const now = performance.now();
        const seconds = (now - last.at) / 1000;
        const amount = (pulses - last.pulses) * config.per_pulse.value;
        last = { pulses, at: now };
        const timestamp = new Date();
        return [
          {
            type: "numeric",
            name: "total",
            value: config.start_total + pulses * config.per_pulse.value,
            unit: config.per_pulse.unit,
            decimals: totalDecimals,
            timestamp,
          },
          {
            type: "numeric",
            name: "rate",
            value: seconds > 0 ? (amount * factor) / seconds : 0,
            unit: rateUnit,
            decimals: 1,
            kind: "computed",
            timestamp,
          },
        ] satisfies Field[];
      },
      async close() {
        unwatch();
        await line.close();
      },
    };
  },
};
