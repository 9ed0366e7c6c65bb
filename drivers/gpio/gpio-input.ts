// A digital input (button, reed contact, PIR, level switch) on one GPIO pin, read through the
// bus layer's sysfs line (drivers/bus/gpio.ts). Fields: `state` (the level now, after active-low)
// and `edges` (changes seen since the sensor opened, to catch a contact that opened and closed
// between two polls).
//
// Pull-up/down: sysfs GPIO cannot set the pin's bias, so fit an external resistor or set it at
// boot in /boot/firmware/config.txt, e.g. `gpio=17=ip,pu` (input, pull-up). A contact to ground
// with a pull-up reads 0 when closed: set `active_low: true` to report it as `state: true`.
import { z } from "zod";
import type { DriverDefinition, Field, Sensor } from "../types.js";

export const gpioInputConfigSchema = z
  .object({
    /** BCM pin number (GPIO17 = 17), not the header position. */
    pin: z.number().int().min(0, "expected a BCM pin number").max(57, "expected a BCM pin number (0..57)"),
    /** Report a low level as true (contacts to ground with a pull-up). */
    active_low: z.boolean().default(false),
    /** Ignore bounces shorter than this; mechanical contacts need ~5-20 ms. */
    debounce_ms: z.number().int().min(0).max(10_000).default(10),
  })
  .strict();

export type GpioInputConfig = z.infer<typeof gpioInputConfigSchema>;

export const gpioInput: DriverDefinition<GpioInputConfig> = {
  name: "gpio-input",
  bus: "gpio",
  description: "Digital input on a GPIO pin (button, contact, PIR): current state and edge count",
  configSchema: gpioInputConfigSchema,
  example: { pin: 17, active_low: true, debounce_ms: 20 },
  describeFields: () => [
    { name: "state", type: "boolean" },
    { name: "edges", type: "numeric", unit: "" },
  ],
  async open(config, ctx): Promise<Sensor> {
    const line = await ctx.bus.gpio({
      pin: config.pin,
      direction: "in",
      edge: "both",
      activeLow: config.active_low,
      debounceMs: config.debounce_ms,
    }, ctx.log);
    let edges = 0;
    let unwatch: () => void;
    try {
      unwatch = line.watch(() => {
        edges++;
      });
    } catch (err) {
      await line.close();
      throw err;
    }
    return {
      async read(signal) {
        if (signal.aborted) throw signal.reason;
        const value = await line.read();
        const timestamp = new Date();
        return [
          { type: "boolean", name: "state", value: value === 1, kind: "momentary", timestamp },
          { type: "numeric", name: "edges", value: edges, unit: "", decimals: 0, timestamp },
        ] satisfies Field[];
      },
      async close() {
        unwatch();
        await line.close();
      },
    };
  },
};
