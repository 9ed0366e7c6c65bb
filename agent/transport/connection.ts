// An @xmpp/client-core entity composed from the individual xmpp.js packages, so that TLS
// verification can use the configured CA (docs/pitfalls.md "xmpp.js: STARTTLS and the CA": @xmpp/starttls upgrades with the
// server name only, so a `ca` given to @xmpp/client never reaches the handshake).
import net from "node:net";
import * as tlsModule from "node:tls";
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
import _resourceBinding from "@xmpp/resource-binding";
import SASLFactory from "saslmechanisms";
import ConnectionTLS from "@xmpp/tls/lib/Connection.js";
import TLSSocket from "@xmpp/tls/lib/Socket.js";
import { promise } from "@xmpp/events";
import { safeIqRequest } from "./iq-request.js";
import { installFastPbkdf2 } from "./fast-pbkdf2.js";

const NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";

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
}

export interface XmppConnection {
  entity: Client;
  middleware: { use(fn: (ctx: any, next: () => Promise<unknown>) => unknown): void; filter(fn: (ctx: any, next: () => Promise<unknown>) => unknown): void };
  iqCaller: {
    request(stanza: ReturnType<typeof xml>, timeout?: number): Promise<ReturnType<typeof xml>>;
  };
}

export class InsecureStreamError extends Error {
  override name = "InsecureStreamError";
}

/** TLS options used both for xmpps:// and for STARTTLS. Verification is always on. */
function tlsOptions(options: ConnectionOptions) {
  const extra = options.ca ? { ca: [...tlsRootCertificates(), options.ca.toString()] } : {};
  return { servername: options.domain, ...extra };
}

/** Node replaces the default store when `ca` is given, so add the system roots back. */
function tlsRootCertificates(): readonly string[] {
  // tls.rootCertificates is Node's bundled store (the system store with --use-openssl-ca).
  return tlsModule.rootCertificates;
}
export function createConnection(options: ConnectionOptions): XmppConnection {
  const entity = new Client({ service: options.service, domain: options.domain, timeout: options.timeout ?? 10_000 });
  const address = parseJid(options.jid);
  entity.jid = parseJid(address.local, options.domain);

  tcp({ entity });
  const secure = tlsOptions(options);
  // Direct TLS (xmpps://), verifying against our CA and the XMPP domain.
  class VerifiedTLS extends ConnectionTLS {
    override socketParameters(service: string) {
      const params = super.socketParameters(service);
      return params && { ...params, ...secure };
    }
  }
  entity.transports.push(VerifiedTLS);

  const middleware = _middleware({ entity });
  const streamFeatures = _streamFeatures({ middleware });
  const caller = _iqCaller({ middleware, entity });
  const iqCaller = { request: safeIqRequest(caller, entity) };

  // STARTTLS (RFC 6120 §5) with verification against the configured CA and domain.
  streamFeatures.use("starttls", NS_TLS, async ({ entity: e }: { entity: Client }, next: () => unknown) => {
    const socket = e.socket;
    if (!(socket instanceof net.Socket) || socket instanceof tlsModule.TLSSocket) return next();
    const reply = await e.sendReceive(xml("starttls", { xmlns: NS_TLS }));
    if (!reply.is("proceed", NS_TLS)) throw new Error("STARTTLS refused by the server");
    const tlsSocket = new TLSSocket();
    tlsSocket.connect({ socket, host: options.domain, ...secure });
    await promise(tlsSocket, "connect");
    e._attachSocket(tlsSocket);
    await e.restart();
  });

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
  _resourceBinding({ iqCaller: caller, streamFeatures }, options.resource);

  // Disable Nagle: a readout reply is two small stanzas; with Nagle on, the second waits for
  // a delayed ACK (~40 ms instead of ~1 ms, docs/pitfalls.md "xmpp.js: Nagle").
  entity.on("connect", () => {
    const s = entity.socket?.socket ?? entity.socket;
    if (s && typeof s.setNoDelay === "function") s.setNoDelay(true);
  });

  return { entity, middleware, iqCaller };
}
