// XEP-0050 command registry and sessions (docs/people.md "Ad-hoc commands"): lists to each
// requester only the commands it may run, answers `forbidden` to the others, runs each command
// as at most two steps (a form, then its result; or the result at once) and cancels on request.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Element } from "@xmpp/xml";
import { ProtocolError } from "../errors.js";
import { buildCommandInfo, buildCommandList, buildCommandResponse, parseCommand, type CommandResponse } from "../protocol/adhoc.js";
import { parseSubmitted, submittedType } from "../protocol/xdata.js";
import type { IqHandler } from "../transport/iq-router.js";

/** What a command step returns: a form to fill in (executing) or the outcome (completed). */
export type Step = { status: "executing" | "completed"; form?: Element; note?: CommandResponse["note"] };

export interface AdhocCommand {
  node: string;
  name: string;
  allowed(from: string): Promise<boolean>;
  /** First step: a form with defaults, or (single-step commands) the result. */
  start(from: string): Promise<Step>;
  /** The submitted form's values (var → values). */
  submit(from: string, values: Map<string, string[]>): Promise<Step>;
}

interface Session {
  node: string;
  from: string;
  at: number;
}

const MAX_SESSIONS = 256;
const SESSION_TTL_MS = 10 * 60_000;

export class CommandRegistry {
  readonly #commands = new Map<string, AdhocCommand>();
  readonly #sessions = new Map<string, Session>();

  constructor(private readonly log: Logger) {}

  add(command: AdhocCommand): this {
    this.#commands.set(command.node, command);
    return this;
  }

  has(node: string): boolean {
    return this.#commands.has(node);
  }

  /** disco#items on the commands node: only what `from` may run (a stranger sees nothing). */
  async list(from: string, ownJid: string): Promise<Element> {
    const visible: AdhocCommand[] = [];
    for (const c of this.#commands.values()) if (await c.allowed(from)) visible.push(c);
    return buildCommandList(ownJid, visible);
  }

  /** disco#info on a command node, or undefined if there is no such command. */
  info(node: string): Element | undefined {
    const c = this.#commands.get(node);
    return c ? buildCommandInfo(c.node, c.name) : undefined;
  }

  readonly handle: IqHandler = async ({ child, from }) => {
    const req = parseCommand(child);
    const command = this.#commands.get(req.node);
    if (!command || !(await command.allowed(from))) {
      // A stranger learns nothing: an unknown command and a forbidden one look alike to it.
      if (!command && (await this.#anyAllowed(from))) throw new ProtocolError("item-not-found", `No command "${req.node}".`);
      throw new ProtocolError("forbidden", "Access denied.");
    }
    this.#expire();
    if (req.action === "cancel") {
      if (req.sessionid) this.#sessions.delete(req.sessionid);
      return buildCommandResponse({ node: req.node, sessionid: req.sessionid ?? randomUUID(), status: "canceled" });
    }
    const values = submittedType(req.el) === "submit" ? parseSubmitted(req.el) : undefined;
    let sessionid = req.sessionid;
    if (sessionid !== undefined) {
      const s = this.#sessions.get(sessionid);
      if (!s || s.from !== from || s.node !== req.node) throw new ProtocolError("bad-request", "Unknown or expired session.");
      this.#sessions.delete(sessionid);
    }
    sessionid ??= randomUUID();
    // A submitted form completes the command, with or without a session (clients that can
    // only do one step send the form right away).
    const step = values ? await command.submit(from, values) : await command.start(from);
    if (step.status === "executing") {
      if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!);
      this.#sessions.set(sessionid, { node: req.node, from, at: Date.now() });
    }
    this.log.info({ from, node: req.node, status: step.status }, "ad-hoc command");
    return buildCommandResponse({
      node: req.node,
      sessionid,
      status: step.status,
      ...(step.form ? { form: step.form } : {}),
      ...(step.note ? { note: step.note } : {}),
    });
  };

  async #anyAllowed(from: string): Promise<boolean> {
    for (const c of this.#commands.values()) if (await c.allowed(from)) return true;
    return false;
  }

  #expire(): void {
    const now = Date.now();
    for (const [id, s] of this.#sessions) if (now - s.at > SESSION_TTL_MS) this.#sessions.delete(id);
  }
}
