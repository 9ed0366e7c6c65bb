// Opens the history store for `thingd run` from the `history` config section, or nothing when
// it is disabled. A store that cannot be opened (read-only disk, bad path) must not stop the
// Thing from serving live values: it is logged and history is off for this run.
import type { Logger } from "pino";
import type { ThingConfig } from "../config/types.js";
import { HistoryStore } from "./store.js";

export function openHistory(config: ThingConfig, log: Logger): HistoryStore | undefined {
  const h = config.history;
  if (!h?.enabled) return undefined;
  try {
    const store = new HistoryStore({ dir: h.dir, keepMs: h.keepMs, maxBytes: h.maxBytes, flushMs: h.flushMs, log });
    store.start();
    log.info({ dir: h.dir, segments: store.segmentCount, bytes: store.bytes }, "history opened");
    return store;
  } catch (err) {
    log.error({ err, dir: h.dir }, "history store cannot be opened; historical readouts are off");
    return undefined;
  }
}
