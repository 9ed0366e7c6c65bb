// The self-provisioned account's credentials (`xmpp.register: true`), kept in state_dir as
// credentials.json, mode 0600, written atomically before the password is ever sent: a crash
// between making the password and registering it must not leave an account nobody can log in to.
import { randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../ownership/state.js";

export const CREDENTIALS_FILE = "credentials.json";

export interface Credentials {
  version: 1;
  /** The bare JID the password belongs to: a changed `xmpp.jid` means a new account. */
  jid: string;
  password: string;
  /** True once the server accepted the registration (or the account turned out to exist). */
  registered: boolean;
}

/** 32 bytes from a CSPRNG, base64url (43 characters, no padding). */
export function newPassword(): string {
  return randomBytes(32).toString("base64url");
}

export function parseCredentials(text: string): Credentials {
  const c = JSON.parse(text) as Partial<Credentials>;
  if (c.version !== 1 || typeof c.jid !== "string" || typeof c.password !== "string" || c.password === "" || typeof c.registered !== "boolean") {
    throw new Error("not a thingd credentials file");
  }
  return { version: 1, jid: c.jid, password: c.password, registered: c.registered };
}

export class CredentialStore {
  readonly file: string;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, CREDENTIALS_FILE);
  }

  /** The stored credentials, or undefined when there are none (a damaged file is an error). */
  async load(): Promise<Credentials | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    try {
      return parseCredentials(text);
    } catch (err) {
      throw new Error(`${this.file}: ${(err as Error).message}; move it away to register a new account`, { cause: err });
    }
  }

  async save(c: Credentials): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file, `${JSON.stringify(c, null, 2)}\n`, 0o600);
  }
}
