// IQ requests that never leave an unobserved rejection behind.
//
// @xmpp/iq's caller.request() registers the reply's Deferred, then awaits the socket write, and
// only then awaits the Deferred. When the reply comes back before the write callback (Prosody
// bounces an IQ to a component that is not connected at once: remote-server-timeout), the
// Deferred is rejected while nothing observes it, and Node ends the process on the unhandled
// rejection — a chaos test saw exactly that after a server restart. This is the same request on
// the same caller (its middleware still routes the reply to the Deferred), with the Deferred
// observed from the start.
import { Deferred, timeout } from "@xmpp/events";
import xid from "@xmpp/id";
import type { Element } from "@xmpp/xml";

interface Caller {
  handlers: Map<string, Deferred<Element>>;
}

interface StanzaWriter {
  send(stanza: Element): Promise<unknown>;
}

/** Send an IQ get/set and resolve with its result (an error reply or the timeout rejects). */
export type IqCall = (stanza: Element, timeoutMs?: number) => Promise<Element>;

export function safeIqRequest(caller: Caller, entity: StanzaWriter): IqCall {
  return async (stanza, timeoutMs = 30_000) => {
    const id = (stanza.attrs.id ??= xid());
    const deferred = new Deferred<Element>();
    deferred.promise.catch(() => {}); // observed now; the awaits below still get the rejection
    caller.handlers.set(id, deferred);
    try {
      await entity.send(stanza);
      return await timeout(deferred.promise, timeoutMs);
    } catch (err) {
      caller.handlers.delete(id);
      throw err;
    }
  };
}
