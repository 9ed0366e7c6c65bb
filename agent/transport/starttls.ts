// STARTTLS (RFC 6120 §5) for a pre-authentication stream, verifying the server against the
// system store plus the configured CA and the XMPP domain (docs/fleets.md "TLS before registering":
// @xmpp/starttls would upgrade with the server name only, so the extra CA never reaches it).
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
  ca?: string | Buffer;
}

/** Options for tls.connect: verification always on. */
export function verifiedTlsOptions(trust: TlsTrust): { servername: string; ca?: string[] } {
  // Node replaces the default store when `ca` is given, so the bundled roots are added back.
  return { servername: trust.domain, ...(trust.ca && { ca: [...tlsModule.rootCertificates, trust.ca.toString()] }) };
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

/** The STARTTLS stream feature handler, verifying as above. */
export function startTlsFeature(trust: TlsTrust): FeatureHandler {
  const secure = verifiedTlsOptions(trust);
  return async ({ entity: e }, next) => {
    const socket = e.socket;
    if (!(socket instanceof net.Socket) || socket instanceof tlsModule.TLSSocket) return next();
    const reply = await e.sendReceive(xml("starttls", { xmlns: NS_TLS }));
    if (!reply.is("proceed", NS_TLS)) throw new Error("STARTTLS refused by the server");
    const tlsSocket = new TLSSocket();
    tlsSocket.connect({ socket, host: trust.domain, ...secure });
    await promise(tlsSocket, "connect");
    e._attachSocket(tlsSocket);
    await e.restart();
  };
}

export { NS_TLS };
