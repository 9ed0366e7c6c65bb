// The readout request in dialect-neutral form: what both <req> parsers (seqnr dialect in
// sensordata.ts, IEEE dialect in ieee-sensordata.ts) produce, and what access checks, the readout
// core (sensordata/readout.ts) and history (history/outcomes.ts) read. A leaf: types and
// constants only, no imports but the field kinds.
import type { FieldKind, HistoricalKind } from "../../drivers/types.js";

export const HISTORICAL_FLAGS = [
  "historicalSecond", "historicalMinute", "historicalHour", "historicalDay", "historicalWeek",
  "historicalMonth", "historicalQuarter", "historicalYear", "historicalOther",
] as const satisfies readonly HistoricalKind[];

/**
 * The field types a request can ask for (the XEP-0323 field types, the same set as a field's kind), in the
 * order a request's type set lists them.
 */
export const TYPE_FLAGS = ["momentary", "peak", "status", "computed", "identity", ...HISTORICAL_FLAGS] as const satisfies readonly FieldKind[];
export type TypeFlag = (typeof TYPE_FLAGS)[number];

/** A node a request names. We expose no sources or partitions, so a ref with either matches nothing. */
export interface NodeRef {
  nodeId: string;
  sourceId?: string;
  /** `cacheType` in the seqnr dialect, `pt` (partition) in the IEEE one. */
  cacheType?: string;
}

export interface ReadoutRequest {
  /** Requested field types; all of them when the request names none or says all. */
  types: ReadonlySet<TypeFlag>;
  /** Empty = every node. */
  nodes: NodeRef[];
  /** Empty = every field. Names are hints: unknown ones are never an error. */
  fieldNames: ReadonlySet<string>;
  /** Window of historical values. */
  from?: Date;
  to?: Date;
  /** Read at this time (a deferred readout). */
  when?: Date;
  serviceToken?: string;
  deviceToken?: string;
  userToken?: string;
}

/** A parsed <req> of either dialect: the client's id for it (seqnr or id), echoed in every answer. */
export interface IdentifiedRequest {
  id: string;
  request: ReadoutRequest;
}
