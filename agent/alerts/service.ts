// Alerts to people (README "Alerts"): one chat message when a rule starts to hold, one when it
// clears, and again every `repeat` while it holds. Rules are checked on every reading of their
// sensor and once a second (stale, failing, repeat). Replaced as a whole on SIGHUP.
import type { Logger } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { bareJid } from "../access/bare-jid.js";
import type { ThingApi } from "../people/thing-api.js";
import { evaluate, type AlertRule } from "./rules.js";

interface RuleState {
  active: boolean;
  lastSentAt: number;
}

export interface AlertServiceOptions {
  api: ThingApi;
  rules: readonly AlertRule[];
  owner(): string | undefined;
  send(stanza: Element): Promise<unknown>;
  log: Logger;
  now?: () => number;
  tickMs?: number;
}

export class AlertService {
  #rules: readonly AlertRule[];
  #state = new Map<AlertRule, RuleState>();
  #timer: NodeJS.Timeout | undefined;
  readonly #now: () => number;

  constructor(private readonly o: AlertServiceOptions) {
    this.#rules = o.rules;
    this.#now = o.now ?? Date.now;
  }

  get rules(): readonly AlertRule[] {
    return this.#rules;
  }

  /** A reloaded `alerts:` section: rules start afresh (a holding rule alerts again). */
  setRules(rules: readonly AlertRule[]): void {
    this.#rules = rules;
    this.#state = new Map();
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.check(), this.o.tickMs ?? 1000);
    this.#timer.unref?.();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  onReading(nodeId: string): void {
    if (this.#rules.some((r) => r.sensor === nodeId)) this.check(nodeId);
  }

  /** Evaluate every rule (or those of one sensor) and send what changed. */
  check(nodeId?: string): void {
    if (this.#rules.length === 0) return;
    const now = this.#now();
    const pollers = this.o.api.pollers();
    for (const rule of this.#rules) {
      if (nodeId !== undefined && rule.sensor !== nodeId) continue;
      const p = pollers.find((x) => x.id === rule.sensor);
      if (!p) continue;
      const st = this.#state.get(rule) ?? { active: false, lastSentAt: 0 };
      this.#state.set(rule, st);
      const v = evaluate(rule, p, now, st.active);
      if (v.holds && !st.active) {
        st.active = true;
        st.lastSentAt = now;
        this.#notify(rule, `ALERT ${rule.name}: ${v.detail}`);
      } else if (!v.holds && st.active) {
        st.active = false;
        this.#notify(rule, `OK again, ${rule.name}: ${v.detail}`);
      } else if (v.holds && rule.repeatMs !== undefined && now - st.lastSentAt >= rule.repeatMs) {
        st.lastSentAt = now;
        this.#notify(rule, `STILL ${rule.name}: ${v.detail}`);
      }
    }
  }

  #notify(rule: AlertRule, text: string): void {
    const to = new Set<string>();
    for (const r of rule.to) {
      const jid = r === "owner" ? this.o.owner() : r;
      if (jid) to.add(bareJid(jid));
    }
    this.o.log.info({ rule: rule.name, to: [...to], text }, "alert");
    for (const jid of to) {
      if (jid === "") continue;
      void Promise.resolve(this.o.send(xml("message", { to: jid, type: "chat" }, xml("body", {}, text)))).catch((err: unknown) =>
        this.o.log.warn({ err, to: jid }, "alert not sent"),
      );
    }
  }
}
