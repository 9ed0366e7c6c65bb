// What a readout yields per node, in dialect-neutral form: the readout core and history produce
// NodeOutcomes; the dialect serialisers (sensordata.ts, ieee-sensordata.ts) write NodeFields and
// NodeFailures. A leaf: types only.
import type { Field } from "../../drivers/types.js";

/** One node's result: its fields, or why it could not be read. */
export type NodeOutcome = { nodeId: string; fields: Field[] } | { nodeId: string; error: string; timestamp: Date };

export interface NodeFields {
  nodeId: string;
  fields: Field[];
}

export interface NodeFailure {
  nodeId: string;
  timestamp: Date;
  message: string;
}
