// An @xmpp/client-core entity composed from the individual xmpp.js packages, so that TLS
// verification can use the configured CA (docs/pitfalls.md "xmpp.js: STARTTLS and the CA":
// @xmpp/starttls upgrades with the server name only, so a `ca` given to @xmpp/client never
// reaches the handshake). One TLS context per CA, made once and shared by every connection, and
// release() frees a connection's sockets whatever ended it (docs/reconnect.md).
import { Client } from "@xmpp/client-core";
import { xml } from "@xmpp/xml";
import { jid as parseJid } from "@xmpp/jid";
import tcp from "@xmpp/tcp";
import _middleware from "@xmpp/middleware";
import _streamFeatures from "@xmpp/stream-features";
import _iqCaller from "@xmpp/iq/caller.js";
import _sasl from "@xmpp/sasl";
import scramsha1 from "@xmpp/sasl-scram-sha-1";
import plain from "@xmpp/sasl-plain";
import SASLFactory from "saslmechanisms";
import { promise } from "@xmpp/events";
import { pino, type Logger } from "pino";
import { safeIqRequest } from "./iq-request.js";
import { installFastPbkdf2 } from "./fast-pbkdf2.js";
import { setupSession, type SessionSetup, type StreamManagementOptions } from "./stream-management.js";
import { addVerifiedDirectTls, NS_TLS, startTlsFeature } from "./starttls.js";

export { secureContextFor } from "./starttls.js";
const silentLog: Logger = pino({ level: "silent" });

export interface ConnectionOptions {
  service: string;
  domain: string;
  /** Bare JID; its local part is the SASL user name. */
  jid: string;
  password: string;
  resource: string;
  /** Extra trusted CA (PEM text). The system store is used as well. */
  ca?: string | Buffer;
  /** Refuse to authenticate over a stream that is not encrypted. */
  tlsRequired: boolean;
  /** Stream operation timeout in ms (xmpp.js default 2000 is too short for a busy Pi). */
  timeout?: number;
  /** XEP-0198 stream management (./stream-management.ts); off when absent. */
  streamManagement?: StreamManagementOptions;
  /** Logger for session setup (bind, stream management); default: silent. */
  log?: Logger;
}

export interface XmppConnection {
  entity: Client;
  middleware: { use(fn: (ctx: any, next: () => Promise<unknown>) => unknown): void; filter(fn: (ctx: any, next: () => Promise<unknown>) => unknown): void };
  iqCaller: {
    request(stanza: ReturnType<typeof xml>, timeout?: number): Promise<ReturnType<typeof xml>>;
  };
  /** What bind / stream management did on this connection (resumed or new session). */
  session: SessionSetup;
  /**
   * Destroy every socket this connection opened (TCP and TLS) at once; the entity then emits
   * "disconnect" and no unhandled "error". Idempotent.
   */
  release(): void;
}

export class InsecureStreamError extends Error {
  override name = "InsecureStreamError";
}

export function createConnection(options: ConnectionOptions): XmppConnection {
  const entity = new Client({ service: options.service, domain: options.domain, timeout: options.timeout ?? 10_000 });
  const address = parseJid(options.jid);
  entity.jid = parseJid(address.local, options.domain);

  tcp({ entity });
  const trust = { domain: options.domain, ca: options.ca };
  // Every socket attached to this entity (a STARTTLS upgrade attaches a TLS one over the TCP
  // one, which stays subscribed), for release().
  const attached = new Set<{ destroy?(): void; socket?: { destroy(): void } | null }>();
  let released = false;
  const release = () => {
    released = true;
    for (const s of attached) {
      try {
        // @xmpp/tls wraps the node TLS socket (and has no destroy of its own).
        if (typeof s.destroy === "function") s.destroy();
        else s.socket?.destroy();
      } catch {
        /* already gone */
      }
    }
    attached.clear();
  };
  const attach = entity._attachSocket.bind(entity);
  entity._attachSocket = (socket: { destroy?(): void; socket?: { destroy(): void } | null }) => {
    attached.add(socket);
    attach(socket);
    if (released) setImmediate(release); // attached after release(): a late STARTTLS step
  };
  entity.on("error", () => {}); // errors are reported by start()'s rejection and the supervisor
  // xmpp.js' start() makes its "online" promise (rejected by any "error" event) after the TCP
  // connect and awaits it only after the stream header came back: a reset while the stream
  // opens rejected it unobserved, and Node ended the process on the unhandled rejection. The
  // same steps, with that promise observed from the start.
  // And it fails at once when the socket closes (release(), a reset), not at the open timeout.
  entity.start = async () => {
    if (entity.status !== "offline") throw new Error("Connection is not offline");
    const online = promise(entity, "online") as Promise<ReturnType<typeof parseJid>>;
    const ended = promise(entity, "disconnect").then(() => {
      throw new Error("the connection closed before the session was open");
    });
    online.catch(() => {});
    ended.catch(() => {});
    const steps = (async () => {
      await entity.connect(options.service);
      await entity.open({ domain: options.domain, lang: entity.options.lang });
      return online;
    })();
    steps.catch(() => {});
    return Promise.race([steps, ended]);
  };
  // Direct TLS (xmpps://), verifying against our CA and the XMPP domain.
  addVerifiedDirectTls(entity, trust);

  const middleware = _middleware({ entity });
  // First on the middleware: XEP-0198 counts every incoming stanza, the IQ caller's too.
  const { setup: session, installBind } = setupSession({
    entity,
    middleware,
    log: options.log ?? options.streamManagement?.log ?? silentLog,
    service: options.service,
    sm: options.streamManagement,
  });
  const streamFeatures = _streamFeatures({ middleware });
  const caller = _iqCaller({ middleware, entity });
  const iqCaller = { request: safeIqRequest(caller, entity) };

  // STARTTLS (RFC 6120 §5) with verification against the configured CA and domain; the TLS
  // socket is destroyed by release() even if the handshake never finishes.
  streamFeatures.use("starttls", NS_TLS, startTlsFeature(trust, (tlsSocket) => attached.add(tlsSocket)));

  installFastPbkdf2();
  const saslFactory = new SASLFactory();
  scramsha1(saslFactory);
  plain(saslFactory);
  _sasl({ streamFeatures, saslFactory }, async (authenticate: any, mechanisms: string[], _fast: unknown, e: Client) => {
    if (!e.isSecure() && options.tlsRequired) {
      throw new InsecureStreamError(
        `${options.service}: the server did not offer STARTTLS; refusing to authenticate in clear text (use xmpps:// or enable TLS on the server)`,
      );
    }
    // PLAIN only over TLS; SCRAM-SHA-1 preferred (listed first).
    const usable = e.isSecure() ? mechanisms : mechanisms.filter((m) => m !== "PLAIN");
    const mechanism = usable[0];
    if (!mechanism) throw new Error(`no usable SASL mechanism (server offers: ${mechanisms.join(", ") || "none"})`);
    await authenticate({ username: address.local, password: options.password }, mechanism);
  });
  installBind(streamFeatures, caller, options.resource);

  // Disable Nagle: a readout reply is two small stanzas; with Nagle on, the second waits for
  // a delayed ACK (~40 ms instead of ~1 ms, docs/pitfalls.md "xmpp.js: Nagle").
  entity.on("connect", () => {
    const s = entity.socket?.socket ?? entity.socket;
    if (s && typeof s.setNoDelay === "function") s.setNoDelay(true);
  });

  return { entity, middleware, iqCaller, session, release };
}
