// What `thingd check` prints besides OK: the identity this board will use, with placeholders
// ({serial}, {hostname}, {mac}) resolved, so an operator sees what one shared map gives here.
import type { ThingConfig } from "../config/types.js";

export function checkSummary(config: ThingConfig): string[] {
  const lines = [`  xmpp.jid: ${config.xmpp.jid}`, `  xmpp.resource: ${config.xmpp.resource}`];
  if (config.xmpp.register) lines.push("  xmpp.register: the account is created on first start (password kept in state_dir)");
  for (const [k, v] of Object.entries(config.registry.meta)) lines.push(`  registry.meta.${k}: ${v}`);
  return lines;
}
