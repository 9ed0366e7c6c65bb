// The cheap first check on every incoming IQ request, before parsing or any sensor work:
// strangers asking for sensor data or control are refused (forbidden), and every requester is
// held to its token bucket (resource-constraint, type wait: "try again later", RFC 6120 §8.3.3.18).
// Only the attributes and the child's namespace are looked at, so a hostile payload costs nothing.
import type { Element } from "@xmpp/xml";
import { bareJid } from "./bare-jid.js";
import { buildRejected, readableSeqnr } from "../protocol/sensordata.js";
import { buildIqError } from "../protocol/stanza-error.js";
import { NS_CONTROL, NS_IEEE_SENSORDATA, NS_IEEE_SENSORDATA_ALIASES, NS_SENSORDATA } from "../protocol/ns.js";
import { buildSetResponse, responseCodeFor } from "../protocol/control.js";
import { RateLimiter, type BucketPolicy } from "./rate-limit.js";
import type { LimitsConfig } from "../config/types.js";

/**
 * Sensor-data namespaces (both dialects): a requester the local policy does not know is refused
 * here already. Control requests are only rate-limited here: controllers are not readers, and the
 * control service's own check answers with the <setResponse> slixmpp needs.
 */
export const GUARDED_NAMESPACES: ReadonlySet<string> = new Set([NS_SENSORDATA, NS_IEEE_SENSORDATA, ...NS_IEEE_SENSORDATA_ALIASES]);

export const DEFAULT_LIMITS: LimitsConfig = { requestsPerSecond: 100, burst: 200, ownerFactor: 20 };

export interface RequestGateOptions {
  limits: LimitsConfig;
  /** Addresses never limited (the server's domain, the registry): bare JIDs or domains. */
  exempt: () => ReadonlyArray<string | undefined>;
  isOwner(from: string): boolean;
  /**
   * May `from` read at all? False means a cheap forbidden. With a provisioning server configured
   * this must say yes to everyone but known refusals: the server decides per request.
   */
  canRead(from: string): boolean;
  limiter?: RateLimiter;
}

export class RequestGate {
  readonly limiter: RateLimiter;
  #limits: LimitsConfig;

  constructor(private readonly o: RequestGateOptions) {
    this.limiter = o.limiter ?? new RateLimiter();
    this.#limits = o.limits;
  }

  setLimits(limits: LimitsConfig): void {
    this.#limits = limits;
  }

  /** The error reply refusing `stanza`, or undefined to let it through to the router. */
  check(stanza: Element): Element | undefined {
    if (stanza.name !== "iq") return undefined;
    const type = stanza.attrs.type;
    const from = stanza.attrs.from;
    if ((type !== "get" && type !== "set") || !from) return undefined;
    const bare = bareJid(from);
    // Server and components (no "@") talk protocol with us, not requests to limit.
    if (bare === "" || !bare.includes("@") || this.o.exempt().some((e) => e !== undefined && bareJid(e) === bare)) return undefined;
    const child = stanza.getChildElements()[0];
    const ns = child?.getNS();
    if (child && ns !== undefined && GUARDED_NAMESPACES.has(ns) && !this.o.canRead(from)) {
      return refuse(stanza, child, "cancel", "forbidden", "Access denied.");
    }
    const l = this.#limits;
    const k = this.o.isOwner(from) ? l.ownerFactor : 1;
    const policy: BucketPolicy = { perSecond: l.requestsPerSecond * k, burst: Math.max(1, l.burst * k) };
    if (this.limiter.take(bare, policy)) return undefined;
    return refuse(stanza, child, "wait", "resource-constraint", "Too many requests; try again later.");
  }
}

function refuse(stanza: Element, child: Element | undefined, type: "cancel" | "wait", condition: "forbidden" | "resource-constraint", text: string): Element {
  // The <rejected> sibling for seqnr-dialect clients (protocol.md §1.6, §6.3), when readable.
  const seqnr = child?.getNS() === NS_SENSORDATA ? readableSeqnr(child) : undefined;
  const siblings = seqnr !== undefined ? [buildRejected(seqnr, text)] : [];
  // XEP-0325 v0.2 clients (slixmpp) fire no callback for an error without <setResponse> (§6.10).
  if (child?.getNS() === NS_CONTROL && child.name === "set") siblings.push(buildSetResponse(responseCodeFor(condition)));
  return buildIqError(stanza, { type, condition, text, siblings });
}
