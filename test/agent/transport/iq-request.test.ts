// The race safeIqRequest closes: a reply (here an error) routed before the socket write resolves.
import { describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { Deferred } from "@xmpp/events";
import { safeIqRequest } from "../../../agent/transport/iq-request.js";

describe("safeIqRequest", () => {
  it("an error reply that arrives before the write finishes rejects the request, with no unhandled rejection", async () => {
    const handlers = new Map<string, Deferred<Element>>();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const entity = {
        // The server bounces at once: the reply is routed while the write is still pending.
        send: async (stanza: Element) => {
          handlers.get(stanza.attrs.id!)!.reject(Object.assign(new Error("remote-server-timeout"), { condition: "remote-server-timeout" }));
          await new Promise((r) => setTimeout(r, 20));
        },
      };
      const request = safeIqRequest({ handlers }, entity);
      await expect(request(xml("iq", { type: "get", to: "registry.localhost" }), 1_000)).rejects.toMatchObject({ condition: "remote-server-timeout" });
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toStrictEqual([]);
      expect(handlers.size).toBe(0); // a failed request leaves no handler behind
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("resolves with the result routed to its handler, and sets an id when there is none", async () => {
    const handlers = new Map<string, Deferred<Element>>();
    const entity = { send: async (stanza: Element) => void setImmediate(() => handlers.get(stanza.attrs.id!)!.resolve(xml("iq", { type: "result", id: stanza.attrs.id! }))) };
    const reply = await safeIqRequest({ handlers }, entity)(xml("iq", { type: "get" }), 1_000);
    expect(reply.attrs.type).toBe("result");
    expect(reply.attrs.id).toMatch(/.+/);
  });
});
