// Splits a readout's nodes over several messages so no stanza grows unbounded (Prosody
// closes a c2s stream whose stanza exceeds c2s_stanza_size_limit, 256 KiB by default).
// Dialect-independent: both serialisers write one message per chunk.

/** Fields per message: a historical field is ~120 bytes, so ~30 KiB per message. */
export const MAX_FIELDS_PER_MESSAGE = 250;

export interface Chunkable<F> {
  nodeId: string;
  fields: F[];
}

/** Nodes with fields, in order, split so each chunk holds at most `max` fields. */
export function chunkNodeFields<N extends Chunkable<unknown>>(nodes: readonly N[], max = MAX_FIELDS_PER_MESSAGE): N[][] {
  const chunks: N[][] = [];
  let chunk: N[] = [];
  let room = max;
  for (const node of nodes) {
    let rest = node.fields;
    while (rest.length > 0) {
      if (room === 0) {
        chunks.push(chunk);
        chunk = [];
        room = max;
      }
      chunk.push({ ...node, fields: rest.slice(0, room) });
      const taken = Math.min(room, rest.length);
      rest = rest.slice(taken);
      room -= taken;
    }
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
