// Split a big readout over several <fields> messages (XEP-0323 §3.2 allows any number; the
// last carries done='true'). Servers cap stanza size: Prosody's c2s_stanza_size_limit defaults
// to 256 KiB and a bigger stanza ends our whole stream (policy-violation). One numeric field is
// ~90 bytes on the wire, so 500 fields stay near 50 KiB. A node is never split.
export const MAX_FIELDS_PER_MESSAGE = 500;

export function chunkNodes<N extends { fields: readonly unknown[] }>(nodes: readonly N[], maxFields = MAX_FIELDS_PER_MESSAGE): N[][] {
  const chunks: N[][] = [];
  let current: N[] = [];
  let count = 0;
  for (const node of nodes) {
    if (current.length > 0 && count + node.fields.length > maxFields) {
      chunks.push(current);
      current = [];
      count = 0;
    }
    current.push(node);
    count += node.fields.length;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
