// Minimal typings for the xmpp.js packages we use (they ship none).
declare module "@xmpp/xml" {
  export class Element {
    constructor(name: string, attrs?: Record<string, string | undefined>);
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<Element | string>;
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getNS(): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
    append(...children: Array<Element | string>): Element;
    c(name: string, attrs?: Record<string, string | undefined>): Element;
    up(): Element;
    root(): Element;
    clone(): Element;
    toString(): string;
  }
  export type Node = Element | string | null | undefined | false;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: Array<Node | Node[]>): Element;
  export namespace xml {
    export { Element };
  }
  export default xml;
  export class Parser {
    constructor();
    write(data: string): void;
    end(data?: string): void;
    on(event: string, listener: (...args: any[]) => void): this;
  }
  export function escapeXML(s: string): string;
}

declare module "@xmpp/jid" {
  export class JID {
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    toString(unescape?: boolean): string;
    equals(other: JID): boolean;
    getLocal(): string;
    getDomain(): string;
    getResource(): string;
  }
  export function jid(address: string): JID;
  export function jid(local: string, domain: string, resource?: string): JID;
  export default jid;
}

declare module "@xmpp/client-core" {
  import type { Element } from "@xmpp/xml";
  import type { JID } from "@xmpp/jid";
  import { EventEmitter } from "node:events";
  export class Client extends EventEmitter {
    constructor(options: { service: string; domain: string; timeout?: number });
    jid: JID | null;
    status: string;
    socket: any;
    options: { service: string; domain: string; [k: string]: unknown };
    transports: any[];
    timeout: number;
    start(): Promise<JID>;
    connect(service: string): Promise<void>;
    open(options: { domain: string; lang?: unknown }): Promise<Element>;
    stop(): Promise<Element | undefined>;
    disconnect(timeout?: number): Promise<void>;
    send(element: Element): Promise<void>;
    sendMany(elements: Element[]): Promise<void>;
    write(data: string): Promise<void>;
    isSecure(): boolean;
    restart(): Promise<void>;
    sendReceive(element: Element, timeout?: number): Promise<Element>;
    _attachSocket(socket: any): void;
  }
  export { xml } from "@xmpp/xml";
  export { jid } from "@xmpp/jid";
}

declare module "@xmpp/tcp" {
  const tcp: (args: { entity: any }) => void;
  export default tcp;
}
declare module "@xmpp/middleware" {
  const middleware: (args: { entity: any }) => any;
  export default middleware;
}
declare module "@xmpp/stream-features" {
  const streamFeatures: (args: { middleware: any }) => any;
  export default streamFeatures;
}
declare module "@xmpp/iq/caller.js" {
  const iqCaller: (args: { middleware: any; entity: any }) => any;
  export default iqCaller;
}
declare module "@xmpp/sasl" {
  const sasl: (args: { streamFeatures: any; saslFactory: any }, onAuthenticate: (...args: any[]) => Promise<void>) => any;
  export default sasl;
}
declare module "@xmpp/sasl-scram-sha-1" {
  const scram: (factory: any) => void;
  export default scram;
}
declare module "@xmpp/sasl-plain" {
  const plain: (factory: any) => void;
  export default plain;
}
declare module "@xmpp/resource-binding" {
  const resourceBinding: (args: { iqCaller: any; streamFeatures: any }, resource?: string) => any;
  export default resourceBinding;
}
declare module "@xmpp/events" {
  export function promise(target: any, event: string, rejectEvent?: string, timeout?: number): Promise<any>;
  export function timeout<T>(promise: Promise<T>, ms: number): Promise<T>;
  export class Deferred<T = any> {
    promise: Promise<T>;
    resolve(value: T): void;
    reject(reason: unknown): void;
  }
}
declare module "@xmpp/id" {
  export default function id(): string;
}
declare module "@xmpp/component" {
  export function component(options: { service: string; domain: string; password: string }): any;
  export { xml } from "@xmpp/xml";
  export { jid } from "@xmpp/jid";
}
declare module "saslmechanisms" {
  export default class SASLFactory {
    create(mechs: string[]): any;
    _mechs: Array<{ name: string }>;
  }
}

declare module "@xmpp/tls/lib/Connection.js" {
  export default class ConnectionTLS {
    socketParameters(service: string): { port: number; host: string } | undefined;
  }
}
declare module "@xmpp/tls/lib/Socket.js" {
  import { EventEmitter } from "node:events";
  export default class TLSSocket extends EventEmitter {
    socket: any;
    connect(options: Record<string, unknown>): void;
  }
}

// The error classes xmpp.js raises (RFC 6120 stream, SASL and stanza errors), for tests that
// build them from real elements.
declare module "@xmpp/connection/lib/StreamError.js" {
  import type { Element } from "@xmpp/xml";
  export default class StreamError extends Error {
    condition: string;
    static fromElement(element: Element): StreamError;
  }
}
declare module "@xmpp/sasl/lib/SASLError.js" {
  import type { Element } from "@xmpp/xml";
  export default class SASLError extends Error {
    condition: string;
    static fromElement(element: Element): SASLError;
  }
}
declare module "@xmpp/middleware/lib/StanzaError.js" {
  import type { Element } from "@xmpp/xml";
  export default class StanzaError extends Error {
    condition: string;
    static fromElement(element: Element): StanzaError;
  }
}
declare module "@xmpp/component-core" {
  import type { Element } from "@xmpp/xml";
  import { EventEmitter } from "node:events";
  /** XEP-0114 connection (jabber:component:accept) on @xmpp/connection-tcp. */
  export class Component extends EventEmitter {
    constructor(options: { service: string; domain: string });
    status: string;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(element: Element): Promise<void>;
    authenticate(id: string, password: string): Promise<void>;
  }
}
