// An abortable pause for drivers (a conversion time, a retry back-off): node:timers/promises,
// rejecting with the signal's own reason as the rest of a read does (callers compare
// `err === signal.reason`), where node's timer would reject with a generic AbortError.
import { setTimeout as delay } from "node:timers/promises";

export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    signal?.throwIfAborted();
    throw err;
  }
}
