// Every driver, by sensor-map name. Adding a driver: one file, one test, one line here.
import type { AnyDriverDefinition } from "./types.js";
import { simulated } from "./simulated.js";
import { pms5003 } from "./serial/pms5003.js";

export const DRIVERS: readonly AnyDriverDefinition[] = [simulated, pms5003];

export function findDriver(name: string): AnyDriverDefinition | undefined {
  return DRIVERS.find((d) => d.name === name);
}

export function driverNames(): string[] {
  return DRIVERS.map((d) => d.name);
}
