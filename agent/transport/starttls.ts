// TLS for every XMPP stream thingd opens (the session's and the pre-authentication one of
// in-band registration): STARTTLS (RFC 6120 §5) and direct TLS (xmpps://), both verifying the
// server against the system store plus the configured CA and the XMPP domain
// (docs/pitfalls.md "xmpp.js: STARTTLS and the CA": @xmpp/starttls would upgrade with the
// server name only, so the extra CA never reaches it). One TLS context per CA, shared.
import net from "node:net";
import * as tlsModule from "node:tls";
import type { Client } from "@xmpp/client-core";
import { xml } from "@xmpp/xml";
import ConnectionTLS from "@xmpp/tls/lib/Connection.js";
import TLSSocket from "@xmpp/tls/lib/Socket.js";
import { promise } from "@xmpp/events";

const NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";

export interface TlsTrust {
  domain: string;
  /** Extra trusted CA (PEM text), in addition to Node's bundled roots. */
  ca?: string | Buffer | undefined;
}

// Building a context parses every trusted root (~140 certificates with Node's store) into native
// memory that V8 does not see: one per connect made RSS grow by about a megabyte per reconnect
// until a full GC happened to run. So: one context per CA text, kept for the process.
const contexts = new Map<string, tlsModule.SecureContext>();
const MAX_CONTEXTS = 8;

/** The shared TLS context trusting the system store plus `ca`. */
export function secureContextFor(ca: string | Buffer | undefined): tlsModule.SecureContext {
  const key = ca?.toString() ?? "";
  let context = contexts.get(key);
  if (!context) {
    // Node replaces the default store when `ca` is given, so add the system roots back
    // (tls.rootCertificates: Node's bundled store, or the system's with --use-openssl-ca).
    context = tlsModule.createSecureContext(key ? { ca: [...tlsModule.rootCertificates, key] } : {});
    if (contexts.size >= MAX_CONTEXTS) contexts.delete(contexts.keys().next().value!);
    contexts.set(key, context);
  }
  return context;
}

/** Options for tls.connect: verification always on (the default), against the shared context. */
export function verifiedTlsOptions(trust: TlsTrust): { servername: string; secureContext: tlsModule.SecureContext } {
  return { servername: trust.domain, secureContext: secureContextFor(trust.ca) };
}

/** Adds direct TLS (xmpps://) with verification to `entity`'s transports. */
export function addVerifiedDirectTls(entity: Client, trust: TlsTrust): void {
  const secure = verifiedTlsOptions(trust);
  class VerifiedTLS extends ConnectionTLS {
    override socketParameters(service: string) {
      const params = super.socketParameters(service);
      return params && { ...params, ...secure };
    }
  }
  entity.transports.push(VerifiedTLS);
}

type FeatureHandler = (ctx: { entity: Client }, next: () => unknown) => unknown;

/**
 * The STARTTLS stream feature handler, verifying as above. `track` sees the TLS socket before
 * its handshake, so a connection can destroy it even if the handshake never finishes.
 */
export function startTlsFeature(trust: TlsTrust, track?: (socket: TLSSocket) => void): FeatureHandler {
  const secure = verifiedTlsOptions(trust);
  return async ({ entity: e }, next) => {
    const socket = e.socket;
    if (!(socket instanceof net.Socket) || socket instanceof tlsModule.TLSSocket) return next();
    const reply = await e.sendReceive(xml("starttls", { xmlns: NS_TLS }));
    if (!reply.is("proceed", NS_TLS)) throw new Error("STARTTLS refused by the server");
    const tlsSocket = new TLSSocket();
    track?.(tlsSocket);
    tlsSocket.connect({ socket, host: trust.domain, ...secure });
    await promise(tlsSocket, "connect");
    e._attachSocket(tlsSocket);
    await e.restart();
  };
}

export { NS_TLS };
