// Dew point from temperature and relative humidity: the Magnus formula with the Sonntag (1990)
// constants a = 17.62, b = 243.12 °C (WMO-No. 8, Annex 4.B), within ±0.35 °C for -45..60 °C.
import type { NumericField } from "./types.js";

const A = 17.62;
const B = 243.12;

/** Dew point in °C, or undefined when humidity is 0 % (the logarithm has no value). */
export function dewPoint(temperature: number, humidity: number): number | undefined {
  if (!(humidity > 0) || !Number.isFinite(temperature)) return undefined;
  const gamma = Math.log(humidity / 100) + (A * temperature) / (B + temperature);
  return (B * gamma) / (A - gamma);
}

/** The computed `dew_point` field (kind 'computed'), written with the temperature's decimals. */
export function dewPointField(temperature: number, humidity: number, decimals: number, timestamp: Date): NumericField[] {
  const value = dewPoint(temperature, humidity);
  if (value === undefined) return [];
  return [{ type: "numeric", name: "dew_point", value, unit: "°C", decimals, kind: "computed", timestamp }];
}
