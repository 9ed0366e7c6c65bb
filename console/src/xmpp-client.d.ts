// Minimal typings for @xmpp/client 0.14 (it ships none): what the console uses.
declare module "@xmpp/client" {
  import type { Element } from "@xmpp/xml";
  interface Jid {
    bare(): Jid;
    toString(): string;
  }
  export interface Client {
    jid: Jid | null;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(el: Element): Promise<void>;
    on(event: "stanza", cb: (el: Element) => void): void;
    on(event: "error", cb: (err: Error) => void): void;
    on(event: "offline" | "online", cb: () => void): void;
    reconnect: { stop(): void };
    iqCallee: { set(ns: string, name: string, handler: (ctx: { element: Element; stanza: Element }) => boolean | Element): void };
  }
  export function client(o: { service: string; domain: string; username: string; password: string; resource?: string }): Client;
}
