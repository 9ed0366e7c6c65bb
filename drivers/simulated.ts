// Simulated sensor: fields declared in the sensor map, values from a seeded random walk
// (or fixed). Used by the demo and the tests; it can be made to fail or hang on demand.
import { existsSync } from "node:fs";
import { z } from "zod";
import { sleep } from "./sleep.js";
import { UNITS, type DriverDefinition, type Field, type Sensor } from "./types.js";

const fieldSchema = z
  .object({
    name: z.string().min(1, "expected a field name"),
    unit: z.enum(UNITS, { error: () => `expected a unit symbol, one of: ${UNITS.filter(Boolean).join(" ")}` }),
    min: z.number().default(0),
    max: z.number().default(100),
    decimals: z.number().int().min(0).max(10).default(1),
    /** A fixed value instead of the random walk. */
    value: z.number().optional(),
  })
  .strict()
  .refine((f) => f.min <= f.max, { message: "expected min <= max", path: ["max"] });

export const simulatedConfigSchema = z
  .object({
    fields: z.array(fieldSchema).min(1, "expected at least one field"),
    /** Seed of the random walk; the same seed gives the same sequence. */
    seed: z.number().int().default(1),
    /** Fail every read (true), or fail while this file exists (a path, for tests and demos). */
    fail: z.union([z.boolean(), z.string().min(1)]).default(false),
    /** Milliseconds each read takes (a slow or hanging sensor). */
    delay_ms: z.number().int().min(0).default(0),
  })
  .strict();

export type SimulatedConfig = z.infer<typeof simulatedConfigSchema>;

/** mulberry32: a tiny, well-mixed 32-bit PRNG, so runs are reproducible by seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One step of a bounded random walk: moves at most 5 % of the range. */
export function step(current: number, min: number, max: number, r: number): number {
  const span = max - min;
  const next = current + (r - 0.5) * 0.1 * span;
  return Math.min(max, Math.max(min, next));
}

function isFailing(fail: boolean | string): boolean {
  return typeof fail === "string" ? existsSync(fail) : fail;
}

export const simulated: DriverDefinition<SimulatedConfig> = {
  name: "simulated",
  bus: "none",
  description: "Simulated fields (random walk within min..max, or fixed values) for demos and tests",
  configSchema: simulatedConfigSchema,
  example: {
    fields: [
      { name: "temperature", unit: "°C", min: 18, max: 24, decimals: 2 },
      { name: "humidity", unit: "%", min: 30, max: 60, decimals: 1 },
    ],
  },
  describeFields: (config) => config.fields.map((f) => ({ name: f.name, type: "numeric" as const, unit: f.unit })),
  async open(config): Promise<Sensor> {
    const random = prng(config.seed);
    const state = config.fields.map((f) => f.value ?? f.min + (f.max - f.min) / 2);
    return {
      async read(signal) {
        if (config.delay_ms > 0) await sleep(config.delay_ms, signal);
        if (isFailing(config.fail)) throw new Error("simulated failure");
        const timestamp = new Date();
        return config.fields.map((f, i): Field => {
          const value = f.value ?? step(state[i]!, f.min, f.max, random());
          state[i] = value;
          return { type: "numeric", name: f.name, value, unit: f.unit, decimals: f.decimals, timestamp };
        });
      },
      async close() {},
    };
  },
};
