// The driver contract (docs/adding-a-driver.md walks through a driver). Drivers never import agent/.
import type { Logger } from "pino";
import type { z } from "zod";
import type { BusFactory } from "./bus/types.js";

/**
 * Every unit symbol a field may carry. One list, so the same quantity always
 * gets the same symbol ("°C", never "C" or "degC").
 */
export const UNITS = [
  "", // dimensionless (counts, indices)
  "°C", "°F", "K",
  "%", // relative humidity and other percentages
  "hPa", "Pa", "kPa", "bar", "mbar",
  "µg/m³", "mg/m³", "ppm", "ppb", "#/0.1l",
  "lx",
  "V", "mV", "A", "mA", "W", "kW", "Wh", "kWh", "VA", "var", "Hz",
  "m", "cm", "mm", "km", "m/s", "km/h", "°",
  "l", "m³", "l/min", "m³/h",
  "s", "ms", "min", "h",
  "dB", "dBm",
] as const;

export type Unit = (typeof UNITS)[number];

/** XEP-0323 historical periods (docs/protocol.md §1.1); a stored aggregate carries the period it covers. */
export type HistoricalKind =
  | "historicalSecond" | "historicalMinute" | "historicalHour" | "historicalDay" | "historicalWeek"
  | "historicalMonth" | "historicalQuarter" | "historicalYear" | "historicalOther";

/** XEP-0323 field types (§5.6; docs/protocol.md §1.1). Drivers produce the live kinds; history produces historical*. */
export type FieldKind = "momentary" | "identity" | "status" | "computed" | "peak" | HistoricalKind;

interface FieldBase {
  name: string;
  timestamp: Date;
  /** Defaults to "momentary". */
  kind?: FieldKind;
  /** A XEP-0325 control parameter of the same name exists on this node. */
  writable?: boolean;
}

export interface NumericField extends FieldBase {
  type: "numeric";
  value: number;
  unit: Unit;
  /** Decimals to write; XEP-0323 has no nrDecimals, precision is the lexical form (docs/protocol.md §1.3). */
  decimals: number;
}
export interface BooleanField extends FieldBase {
  type: "boolean";
  value: boolean;
}
export interface StringField extends FieldBase {
  type: "string";
  value: string;
}

/** xs:int: a 32-bit signed integer. */
export interface IntField extends FieldBase {
  type: "int";
  value: number;
}
/** xs:long: a 64-bit signed integer (BigInt, so no precision is lost). */
export interface LongField extends FieldBase {
  type: "long";
  value: bigint;
}
/** xs:date: the UTC calendar day of `value`. */
export interface DateField extends FieldBase {
  type: "date";
  value: Date;
}
/** xs:time: time of day in seconds since midnight (0 <= value < 86400). */
export interface TimeField extends FieldBase {
  type: "time";
  value: number;
}
export interface DateTimeField extends FieldBase {
  type: "dateTime";
  value: Date;
}
/** xs:duration, given in seconds (written as PnDTnHnMnS). */
export interface DurationField extends FieldBase {
  type: "duration";
  value: number;
}
/** A value of a named enumeration type (`dataType`, e.g. "GpsFixQuality"). */
export interface EnumField extends FieldBase {
  type: "enum";
  value: string;
  dataType: string;
}

export type Field =
  | NumericField | BooleanField | StringField
  | IntField | LongField | DateField | TimeField | DateTimeField | DurationField | EnumField;

/** A XEP-0325 control value (docs/protocol.md §3.2), already checked against its lexical form. */
export type ControlValue =
  | { type: "boolean"; value: boolean }
  | { type: "int"; value: number } // 32-bit signed
  | { type: "long"; value: bigint } // 64-bit signed
  | { type: "double"; value: number }
  | { type: "dateTime"; value: Date }
  // Lexical forms kept as written: xs:date, xs:time, xs:duration, RRGGBB or RRGGBBAA.
  | { type: "string" | "date" | "time" | "duration" | "color"; value: string };

export type ControlValueType = ControlValue["type"];

/** A control parameter a sensor accepts; a readout field of the same name is marked writable. */
export interface ControlParameterInfo {
  name: string;
  type: ControlValueType;
}

/** An open sensor. `read` must honour `signal` (abort = timeout or shutdown). */
export interface Sensor {
  read(signal: AbortSignal): Promise<Field[]>;
  /** Drives safe states of outputs, then releases the hardware. */
  close(): Promise<void>;
  /** The part's model where the driver knows it (e.g. "sht4x"), for identity fields. */
  readonly model?: string;
  /** XEP-0325 parameters (outputs only). */
  parameters?: readonly ControlParameterInfo[];
  /** Apply one parameter; `value.type` matches the parameter's type (the caller checks). */
  write?(name: string, value: ControlValue, signal: AbortSignal): Promise<void>;
  /** Called when the value changes by itself (a pulse ending), so cached readings are dropped. */
  onChange?(listener: () => void): () => void;
  /**
   * Why a read may have timed out, as far as the driver can tell (e.g. "nothing arrived on
   * /dev/serial0" vs "412 bytes arrived but no valid frame"): appended to the timeout message.
   */
  diagnose?(): string | undefined;
}

export interface DriverContext {
  bus: BusFactory;
  log: Logger;
  /** Sensor id from the sensor map (XEP-0323 nodeId). */
  id: string;
}

export interface DriverDefinition<C = unknown> {
  /** Sensor-map `driver:` value; equals the file name. */
  name: string;
  bus: "none" | "serial" | "i2c" | "gpio";
  description: string;
  /** Driver-specific keys of a sensor entry (everything but id/driver/every/cron/timeout). */
  configSchema: z.ZodType<C>;
  /** A sample of the driver-specific keys, validated in test/drivers/registry.test.ts. */
  example: Record<string, unknown>;
  /** Fields this driver produces with this config (names + units), for docs and checks. */
  describeFields(config: C): Array<{ name: string; type: Field["type"]; unit?: Unit }>;
  /**
   * open() and close() set the hardware's state (an output driven to `initial`, then to
   * `safe_state`): `thingd read` leaves such sensors alone unless asked (`--outputs`).
   */
  drivesOutputs?: boolean;
  open(config: C, ctx: DriverContext): Promise<Sensor>;
}

/** Erase the config type for the registry array. */
export type AnyDriverDefinition = DriverDefinition<any>;
