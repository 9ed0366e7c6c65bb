// XMPP clients for the test users of a local Prosody: user@localhost with the password
// `<user>-pw`, trusting the server's test CA. A pool remembers them so afterAll can stop them all.
import { readFile } from "node:fs/promises";
import { xml } from "@xmpp/xml";
import type { ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { ReaderClient } from "../../scripts/lib/reader-client.js";

export interface ConnectOptions {
  /** Default: ReaderClient's own (`reader-<pid>`); a second client with the same one kicks the first off. */
  resource?: string;
  /** Fetch the roster once connected: RFC 6121 §3.1.3, subscription requests go only to resources that did. */
  roster?: boolean;
}

export async function connectUser(server: ProsodyServer, user: string, o: ConnectOptions = {}): Promise<ReaderClient> {
  const ca = await readFile(server.caFile, "utf8");
  const c = await ReaderClient.connect({
    service: server.service,
    domain: "localhost",
    jid: `${user}@localhost`,
    password: `${user}-pw`,
    ca,
    ...(o.resource ? { resource: o.resource } : {}),
  });
  if (o.roster) await c.iq(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:roster" })));
  return c;
}

export interface ClientPoolOptions {
  /** One client per user, connected on first use and reused after (default: a new client per call). */
  reuse?: boolean;
  /** Give each new client a resource of its own, `<user>-<n>`, so none kicks another off. */
  ownResource?: boolean;
  roster?: boolean;
}

export class ClientPool {
  readonly all: ReaderClient[] = [];
  readonly #byUser = new Map<string, ReaderClient>();

  /** `server` is a getter: pools are made at module level, servers in beforeAll. */
  constructor(
    private readonly server: () => ProsodyServer,
    private readonly o: ClientPoolOptions = {},
  ) {}

  /** A client for `user` (reused with `reuse`); `resource` overrides the pool's choice. */
  readonly client = async (user: string, resource?: string): Promise<ReaderClient> => {
    const known = this.o.reuse ? this.#byUser.get(user) : undefined;
    if (known) return known;
    const own = resource ?? (this.o.ownResource ? `${user}-${this.all.length}` : undefined);
    const c = await connectUser(this.server(), user, { ...(own ? { resource: own } : {}), ...(this.o.roster ? { roster: true } : {}) });
    this.all.push(c);
    this.#byUser.set(user, c);
    return c;
  };

  /** The first client connected for `user`. */
  first(user: string): ReaderClient {
    const c = this.all.find((x) => x.jid.startsWith(`${user}@`));
    if (!c) throw new Error(`no client for ${user} yet`);
    return c;
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled(this.all.map((c) => c.stop()));
  }
}
