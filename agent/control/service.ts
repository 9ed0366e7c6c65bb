// XEP-0325 control (docs/protocol.md §3.2, §5, §6.10): who may set, which node and parameter, type
// checks, then the writes in document order. Every parameter is checked before the first write,
// so a bad request changes nothing. A <set> in a <message> is fire-and-forget: never a reply.
import type { Logger } from "pino";
import type { Element } from "@xmpp/xml";
import { ProtocolError } from "../errors.js";
import type { Poller } from "../sensors/poller.js";
import { buildSetResult, ParamError, parseSet, type ControlSet } from "../protocol/control.js";
import type { IqHandler } from "../transport/iq-router.js";
import type { ControlValue } from "../../drivers/types.js";

export interface ControlTokens {
  serviceToken?: string;
  deviceToken?: string;
  userToken?: string;
}

/**
 * May `from` (full JID) set `paramNames` on `nodeIds`? The default is the owner-or-controllers
 * policy (AccessPolicy.canControl); XEP-0324 provisioning (canControl) can replace it.
 */
export type ControlAuthorizer = (
  from: string,
  nodeIds: readonly string[],
  paramNames: readonly string[],
  tokens: ControlTokens,
) => boolean | Promise<boolean>;

interface Step {
  node: Poller;
  name: string;
  value: ControlValue;
}

export class ControlService {
  constructor(
    private readonly pollers: () => readonly Poller[],
    /** Replaceable, e.g. by XEP-0324 provisioning once it is set up. */
    public authorize: ControlAuthorizer,
    private readonly log: Logger,
  ) {}

  /** Some node has a control parameter (disco#info then advertises urn:xmpp:iot:control, §4). */
  get hasParameters(): boolean {
    return this.pollers().some((p) => p.parameters.length > 0);
  }

  /** <set> (IQ set): <setResponse> on success; a refusal (ProtocolError/ParamError) is thrown to the router. */
  readonly handleSet: IqHandler = async ({ stanza, child, from }) => {
    await this.apply(from, child);
    return { send: [buildSetResult(stanza)] };
  };

  /** <getForm> (IQ get): no XEP-0004 forms in this version (docs/protocol.md §3.2 [rec]). */
  readonly handleGetForm: IqHandler = () => {
    throw new ProtocolError("feature-not-implemented", "Control forms are not supported; use <set>.");
  };

  /** A <set> inside a <message>: applied, never answered, even on error (§3.2). */
  async handleMessage(stanza: Element, set: Element): Promise<void> {
    const from = stanza.attrs.from;
    if (!from) return;
    try {
      await this.apply(from, set);
    } catch (err) {
      if (err instanceof ProtocolError) this.log.info({ from, condition: err.condition, reason: err.message }, "control message refused");
      else this.log.error({ err, from }, "control message failed");
    }
  }

  /** Check everything, then write in document order. Throws ProtocolError/ParamError. */
  async apply(from: string, el: Element): Promise<void> {
    const set = parseSet(el);
    const pollers = this.pollers();
    const names = [...new Set(set.parameters.map((p) => p.name))];
    const named = set.nodes.map((ref) => ({ ref, poller: ref.sourceId || ref.cacheType ? undefined : pollers.find((p) => p.id === ref.nodeId) }));
    // Authorise before telling anything about nodes or parameters.
    const nodeIds =
      set.nodes.length > 0
        ? [...new Set(set.nodes.map((n) => n.nodeId))]
        : pollers.filter((p) => p.parameters.some((i) => names.includes(i.name))).map((p) => p.id);
    if (!(await this.authorize(from, nodeIds, names, tokens(set)))) throw new ProtocolError("forbidden", "Access denied.");
    const unknown = named.find((n) => !n.poller);
    if (unknown) throw new ProtocolError("item-not-found", `Unknown node "${unknown.ref.nodeId}"${unknown.ref.sourceId ? ` in source "${unknown.ref.sourceId}"` : ""}.`);
    const targets = [...new Set(named.map((n) => n.poller!))];

    const steps: Step[] = [];
    for (const p of set.parameters) {
      const nodes = targets.length > 0 ? targets : pollers.filter((n) => n.parameters.some((i) => i.name === p.name));
      if (nodes.length === 0) throw new ParamError("item-not-found", `No node has a parameter "${p.name}".`, p.name);
      for (const node of nodes) {
        const info = node.parameters.find((i) => i.name === p.name);
        if (!info) throw new ParamError("item-not-found", `Node "${node.id}" has no parameter "${p.name}".`, p.name);
        if (info.type !== p.type) throw new ParamError("bad-request", `Parameter "${p.name}" is a ${info.type}, got <${p.type}>.`, p.name);
        if (!p.parsed.ok) throw new ParamError("bad-request", `Parameter "${p.name}": ${p.parsed.problem}.`, p.name);
        steps.push({ node, name: p.name, value: p.parsed.value });
      }
    }

    for (const { node, name, value } of steps) {
      try {
        await node.write(name, value);
      } catch (err) {
        this.log.error({ err, from, node: node.id, parameter: name }, "control write failed");
        throw new ParamError("internal-server-error", `Setting "${name}" on "${node.id}" failed: ${(err as Error).message}`, name);
      }
    }
    this.log.info({ from, nodes: [...new Set(steps.map((s) => s.node.id))], parameters: names }, "control set applied");
  }
}

function tokens(set: ControlSet): ControlTokens {
  const t: ControlTokens = {};
  if (set.serviceToken !== undefined) t.serviceToken = set.serviceToken;
  if (set.deviceToken !== undefined) t.deviceToken = set.deviceToken;
  if (set.userToken !== undefined) t.userToken = set.userToken;
  return t;
}
