// Who may read, control and subscribe (protocol.md §3.1): (1) the owner (claim or config);
// (2) else the provisioning server, when one is configured (XEP-0324, answers may narrow the
// request); (3) else the configured readers (reading only). Compared on bare JIDs,
// case-insensitively in local and domain.
import type { ProvisioningAnswer, ReadQuestion, Tokens } from "../protocol/provisioning.js";
import type { NodeRef } from "../protocol/sensordata.js";
import { bareJid } from "./bare-jid.js";
import type { ProvisioningClient } from "./provisioning.js";

/** Whether a readout may go ahead; `nodes`/`fieldNames` narrow it (undefined = as requested). */
export type ReadDecision = { allowed: false } | { allowed: true; nodes?: string[]; fieldNames?: string[] };
/** Whether a control <set> may go ahead; `nodes`/`paramNames` narrow it (undefined = as requested). */
export type ControlDecision = { allowed: false } | { allowed: true; nodes?: string[]; paramNames?: string[] };

const ALLOW = { allowed: true } as const;
const DENY = { allowed: false } as const;

function readDecision(a: ProvisioningAnswer): ReadDecision {
  return a.result ? { allowed: true, ...(a.nodes && { nodes: a.nodes }), ...(a.names && { fieldNames: a.names }) } : DENY;
}

function controlDecision(a: ProvisioningAnswer): ControlDecision {
  return a.result ? { allowed: true, ...(a.nodes && { nodes: a.nodes }), ...(a.names && { paramNames: a.names }) } : DENY;
}

/**
 * The request narrowed to what `decision` allows, or undefined when nothing is left (or it was
 * denied). A request naming no nodes/fields asks for all, so it becomes the allowed list.
 */
export function restrictRead<Q extends { nodes: NodeRef[]; fieldNames: ReadonlySet<string> }>(query: Q, decision: ReadDecision): Q | undefined {
  if (!decision.allowed) return undefined;
  let { nodes, fieldNames } = query;
  if (decision.nodes) {
    const allowed = new Set(decision.nodes);
    nodes = nodes.length === 0 ? decision.nodes.map((nodeId) => ({ nodeId })) : nodes.filter((n) => allowed.has(n.nodeId));
    if (nodes.length === 0) return undefined;
  }
  if (decision.fieldNames) {
    const allowed = decision.fieldNames;
    fieldNames = fieldNames.size === 0 ? new Set(allowed) : new Set([...fieldNames].filter((f) => allowed.includes(f)));
    if (fieldNames.size === 0) return undefined;
  }
  return nodes === query.nodes && fieldNames === query.fieldNames ? query : { ...query, nodes, fieldNames };
}

function coversAll(d: ControlDecision, nodeIds: readonly string[], paramNames: readonly string[]): boolean {
  if (!d.allowed) return false;
  const nodes = d.nodes;
  const params = d.paramNames;
  return (!nodes || nodeIds.every((n) => nodes.includes(n))) && (!params || paramNames.every((p) => params.includes(p)));
}

export class AccessPolicy {
  #readers: Set<string>;
  #provisioning: ProvisioningClient | undefined;
  #controllers: Set<string>;

  constructor(
    readers: readonly string[],
    private readonly owner: () => string | undefined,
    provisioning?: ProvisioningClient,
    controllers: readonly string[] = [],
  ) {
    this.#readers = new Set(readers.map(bareJid));
    this.#provisioning = provisioning;
    this.#controllers = new Set(controllers.map(bareJid));
  }

  setControllers(controllers: readonly string[]): void {
    this.#controllers = new Set(controllers.map(bareJid));
  }

  /** Local control policy (no provisioning server): the owner and `access.controllers`. */
  canControl(from: string): boolean {
    const bare = bareJid(from);
    return bare !== "" && (this.isOwner(bare) || this.#controllers.has(bare));
  }

  setReaders(readers: readonly string[]): void {
    this.#readers = new Set(readers.map(bareJid));
  }

  get provisioning(): ProvisioningClient | undefined {
    return this.#provisioning;
  }

  isOwner(from: string): boolean {
    const owner = this.owner();
    return owner !== undefined && bareJid(owner) === bareJid(from);
  }

  /** The local policy only (owner or configured reader); no provisioning server asked. */
  canRead(from: string): boolean {
    const bare = bareJid(from);
    return bare !== "" && (this.isOwner(bare) || this.#readers.has(bare));
  }

  /**
   * May `from` read what `query` asks? Synchronous without a provisioning server (the readout
   * hot path), a promise when the server must be asked.
   */
  authorizeRead(from: string, query: ReadQuestion): ReadDecision | Promise<ReadDecision> {
    const bare = bareJid(from);
    if (bare === "") return DENY;
    if (this.isOwner(bare)) return ALLOW;
    if (this.#provisioning) return this.#provisioning.canRead(bare, query).then(readDecision);
    return this.#readers.has(bare) ? ALLOW : DENY;
  }

  /**
   * May `from` set these parameters on these nodes (XEP-0325)? The owner always; else the
   * provisioning server's canControl; without one, `access.controllers` (protocol.md §3.1).
   */
  async authorizeControl(from: string, nodeIds: readonly string[], paramNames: readonly string[], tokens: Tokens = {}): Promise<ControlDecision> {
    const bare = bareJid(from);
    if (bare === "") return DENY;
    if (this.isOwner(bare)) return ALLOW;
    if (this.#provisioning) return controlDecision(await this.#provisioning.canControl(bare, nodeIds, paramNames, tokens));
    return this.#controllers.has(bare) ? ALLOW : DENY;
  }

  /**
   * The control service's yes/no: a <set> goes ahead only when every node and parameter it
   * names is allowed (a provisioning answer that narrows them refuses the whole <set>, so a
   * set is never half-applied).
   */
  mayControl(from: string, nodeIds: readonly string[], paramNames: readonly string[], tokens: Tokens = {}): boolean | Promise<boolean> {
    const bare = bareJid(from);
    if (bare !== "" && this.isOwner(bare)) return true; // the latency path stays synchronous
    if (!this.#provisioning) return this.canControl(bare);
    return this.authorizeControl(bare, nodeIds, paramNames, tokens).then((d) => coversAll(d, nodeIds, paramNames));
  }

  /** Approve a presence subscription? Owner yes; else isFriend, or the readers without provisioning. */
  authorizeSubscription(from: string): boolean | Promise<boolean> {
    const bare = bareJid(from);
    if (bare === "") return false;
    if (this.isOwner(bare)) return true;
    if (this.#provisioning) return this.#provisioning.isFriend(bare);
    return this.#readers.has(bare);
  }
}
