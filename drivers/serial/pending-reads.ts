// Reads of a push-style serial device (it sends data on its own): served from what has arrived
// if that is fresh, otherwise parked until new data makes it fresh, the link fails, or the
// read's own signal aborts. Shared by pms5003 and the line-fed drivers.
import type { SerialLink } from "../bus/types.js";

interface Parked {
  check(): void;
  fail(err: Error): void;
}

export class PendingReads<T> {
  readonly #parked = new Set<Parked>();

  /** `take()` now, else wait for a `notify()` after which `take()` has a value. */
  read(signal: AbortSignal, take: () => T | undefined): Promise<T> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const now = take();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const parked: Parked = {
        check: () => {
          const value = take();
          if (value !== undefined) settle(() => resolve(value));
        },
        fail: (err) => settle(() => reject(err)),
      };
      const onAbort = () => settle(() => reject(signal.reason));
      const settle = (fn: () => void) => {
        this.#parked.delete(parked);
        signal.removeEventListener("abort", onAbort);
        fn();
      };
      this.#parked.add(parked);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** New data arrived: let every parked read try again. */
  notify(): void {
    for (const p of [...this.#parked]) p.check();
  }

  failAll(err: Error): void {
    for (const p of [...this.#parked]) p.fail(err);
  }
}

/**
 * The link is down with a known cause (while it is first opening, reads just wait). The
 * failure's text goes in the message (readouts show only that); no `cause`, or pino logs the
 * text twice. Its errno code stays reachable.
 */
export function linkDownError(link: SerialLink, label: string): Error | undefined {
  const failure = link.failure;
  if (link.isOpen || !failure) return undefined;
  const { code } = failure as { code?: string };
  const err = new Error(`${label}: serial link down: ${failure.message}`);
  return code ? Object.assign(err, { code }) : err;
}
