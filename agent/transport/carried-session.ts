// The XEP-0198 session between two connections (docs/reconnect.md "Stream management"): the
// supervisor makes a fresh connection per attempt, so the session a lost connection carried
// waits here for the next one, which resumes it (when the server still may) or replays its
// unacknowledged replies on a new session; and where that next attempt should go to resume it.
import { locationService, type SmSession } from "./sm-session.js";

export class CarriedSession {
  #session: SmSession | undefined;
  /** Where the next attempt resumes (the lost session's endpoint or its `location`), once. */
  #resumeAt: string | undefined;

  /** For the next attempt: the session to take over, and the endpoint to resume it at (once). */
  take(): { previous: SmSession | undefined; resumeAt: string | undefined } {
    const previous = this.#session;
    const resumeAt = previous && previous.whyNotResumable() === undefined ? this.#resumeAt : undefined;
    this.#resumeAt = undefined;
    return { previous, resumeAt };
  }

  /** A connection is online: it carries the session now (resumed, or new with the replies replayed). */
  connected(): void {
    this.#session = undefined;
  }

  /** A connection ended: keep the session it carried, else the one it did not get to take over. */
  ended(session: SmSession | undefined): void {
    if (session) this.#session = session;
  }

  /** The session while no connection carries it and it can still be resumed: stanzas queue for it. */
  get waiting(): SmSession | undefined {
    const s = this.#session;
    return s && s.whyNotResumable() === undefined ? s : undefined;
  }

  /** After a network loss of `service`: plan to resume there (or at the session's `location`); false if it cannot be resumed. */
  resumeAfter(service: string): boolean {
    const s = this.waiting;
    if (!s) return false;
    this.#resumeAt = s.location ? locationService(service, s.location) : service;
    return true;
  }

  /** No resumption (a conflict, a refused login, stop): end it, its unacknowledged stanzas dropped (logged at debug). */
  discard(): void {
    const s = this.#session;
    this.#session = undefined;
    this.#resumeAt = undefined;
    if (!s) return;
    s.end();
    s.takeReplay(-1);
  }
}
