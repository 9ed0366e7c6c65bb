// The one seam between the people-facing services (chat, ad-hoc commands, event pushes, alerts)
// and the Thing's core: the readout core, the sensor-data serialiser, the control path, access
// and the status snapshot. Everything in agent/chat, agent/adhoc, agent/events and agent/alerts
// reaches the core only through this file, so a change of the core's shapes is absorbed here.
import { xml, type Element } from "@xmpp/xml";
import type { Field } from "../../drivers/types.js";
import { restrictRead, type AccessPolicy } from "../access/policy.js";
import type { ControlService } from "../control/service.js";
import { ProtocolError } from "../errors.js";
import { NS_CONTROL } from "../protocol/ns.js";
import type { NodeRef, ReadoutRequest, TypeFlag } from "../protocol/readout-request.js";
import type { NodeOutcome } from "../protocol/readout-outcome.js";
import { buildIeeeRespMessages } from "../protocol/ieee-sensordata.js";
import { filterFields, readOutcomes, selectNodes, splitOutcomes } from "../sensordata/readout.js";
import { withNodeInfo } from "../sensordata/node-info.js";
import type { Poller, Reading } from "../sensors/poller.js";
import type { StatusSnapshot } from "../ops/status.js";

export type { NodeOutcome } from "../protocol/readout-outcome.js";
export type { Poller, Reading } from "../sensors/poller.js";

/** What a person (or a subscription) asks to read. Empty lists mean "all". */
export interface PeopleQuery {
  types: ReadonlySet<TypeFlag>;
  nodes: readonly NodeRef[];
  fieldNames: ReadonlySet<string>;
  serviceToken?: string;
  deviceToken?: string;
  userToken?: string;
}

/** A control parameter as people see it: where, what type, and its value as last read. */
export interface ControlParameterView {
  node: string;
  name: string;
  type: string;
  /** Lexical value from the latest reading, when the node reports a field of that name. */
  value?: Field;
}

export type SetOutcome = { ok: true; node: string; name: string; value?: Field } | { ok: false; condition: string; reason: string };

export interface ThingApiOptions {
  pollers: () => readonly Poller[];
  access: AccessPolicy;
  control: ControlService;
  status: () => StatusSnapshot;
}

/** The live (non-historical) field kinds. */
export const LIVE_TYPES: ReadonlySet<TypeFlag> = new Set<TypeFlag>(["momentary", "identity", "status", "computed", "peak"]);
export const MOMENTARY: ReadonlySet<TypeFlag> = new Set<TypeFlag>(["momentary"]);

export class ThingApi {
  constructor(private readonly o: ThingApiOptions) {}

  pollers(): readonly Poller[] {
    return this.o.pollers();
  }

  /** Bare-JID checks of the local policy (no provisioning server asked). */
  isOwner(from: string): boolean {
    return this.o.access.isOwner(from);
  }

  /**
   * The query narrowed to what `from` may read (provisioning asked when configured), or a
   * ProtocolError: forbidden, or item-not-found for a node we don't have.
   */
  async authorizeRead(from: string, query: PeopleQuery): Promise<PeopleQuery> {
    const asked = { ...query, nodes: [...query.nodes] };
    const decision = await this.o.access.authorizeRead(from, asked);
    const allowed = restrictRead(asked, decision);
    if (!allowed) throw new ProtocolError("forbidden", "Access denied.");
    selectNodes(core(allowed), this.o.pollers()); // throws item-not-found
    return allowed;
  }

  /** May `from` control at all (owner, controllers or provisioning)? */
  mayControl(from: string, nodeIds: readonly string[] = [], paramNames: readonly string[] = []): Promise<boolean> {
    return Promise.resolve(this.o.access.mayControl(from, nodeIds, paramNames));
  }

  /** Read (cache when fresh, else the sensors, as a momentary readout does). No access check. */
  async read(query: PeopleQuery): Promise<NodeOutcome[]> {
    const q = core(query);
    return readOutcomes(q, selectNodes(q, this.o.pollers()));
  }

  /**
   * The last values the pollers have, never a sensor read (event pushes come from the poll
   * loop's own values). A node whose latest attempt failed reports that error.
   */
  cached(query: PeopleQuery, now = new Date()): NodeOutcome[] {
    const q = core(query);
    return selectNodes(q, this.o.pollers()).map((p): NodeOutcome => {
      const failing = p.lastError !== undefined && p.lastError.at > (p.latest?.at ?? -Infinity);
      if (failing || !p.latest) {
        return { nodeId: p.id, error: p.lastError?.error.message ?? "no reading yet", timestamp: new Date(p.lastError?.at ?? now.getTime()) };
      }
      return { nodeId: p.id, fields: filterFields(q, withNodeInfo(q.types, p, p.latest.fields, now)) };
    });
  }

  /** The event push: <resp> messages in the given IEEE namespace. */
  respMessages(ns: string, to: string, id: string, outcomes: readonly NodeOutcome[]): Element[] {
    const { nodes, failures } = splitOutcomes(outcomes);
    return buildIeeeRespMessages(ns, to, id, nodes, failures);
  }

  /** Every control parameter of every node, with its value as last read. */
  parameters(): ControlParameterView[] {
    const out: ControlParameterView[] = [];
    for (const p of this.o.pollers()) {
      for (const info of p.parameters) {
        const value = p.latest?.fields.find((f) => f.name === info.name);
        out.push({ node: p.id, name: info.name, type: info.type, ...(value ? { value } : {}) });
      }
    }
    return out;
  }

  /**
   * Set one parameter through the XEP-0325 path (same checks, same writes): a <set> element is
   * built and handed to the control service. `node` undefined: every node having `name`.
   */
  async set(from: string, node: string | undefined, name: string, valueText: string): Promise<SetOutcome> {
    const info = this.parameters().find((p) => p.name === name && (node === undefined || p.node === node));
    // The type picks the element; an unknown name is left for the control service to refuse
    // (after its access check, so strangers learn nothing).
    const type = info?.type ?? "string";
    const set = xml(
      "set",
      { xmlns: NS_CONTROL, "xml:lang": "en" },
      node !== undefined ? xml("node", { nodeId: node }) : undefined,
      xml(type, { name, value: type === "boolean" ? booleanText(valueText) : valueText }),
    );
    try {
      await this.o.control.apply(from, set);
    } catch (err) {
      if (err instanceof ProtocolError) return { ok: false, condition: err.condition, reason: err.message };
      throw err;
    }
    const after = this.parameters().find((p) => p.name === name && (node === undefined || p.node === node));
    return { ok: true, node: after?.node ?? node ?? "", name, ...(after?.value ? { value: after.value } : {}) };
  }

  status(): StatusSnapshot {
    return this.o.status();
  }
}

/** The readout core's request shape. */
function core(q: PeopleQuery): ReadoutRequest {
  return { types: q.types, nodes: [...q.nodes], fieldNames: q.fieldNames };
}

/** People write on/off, yes/no: the xs:boolean a control <set> needs. */
function booleanText(text: string): string {
  const t = text.trim().toLowerCase();
  if (["on", "yes", "true", "1"].includes(t)) return "true";
  if (["off", "no", "false", "0"].includes(t)) return "false";
  return text;
}

/** Listener for every good reading of every node (the poll loop's values). */
export type ReadingListener = (nodeId: string, reading: Reading) => void;
