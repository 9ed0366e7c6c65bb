// Accounts that provision themselves (`xmpp.register: true`, README "Fleets"): on the first
// start the Thing makes up a strong password, stores it (./credentials.ts), and creates its
// account by in-band registration; afterwards the stored password is used and the server is
// never asked again. Permanent refusals end the start with exit 78 (a config problem for the
// operator); throttling and network failures are retried with a growing delay, never a loop
// that hammers the server.
import type { Logger } from "pino";
import { setTimeout as sleep } from "node:timers/promises";
import type { ThingConfig } from "../config/types.js";
import { ConfigError } from "../errors.js";
import { CredentialStore, newPassword, type Credentials } from "./credentials.js";
import { registerOnce, type RegisterAttempt, type RegisterResult } from "./ibr.js";

export interface ProvisionOptions {
  ca?: string;
  signal?: AbortSignal;
  /** Delays between retried attempts, in ms (the last one repeats). */
  retryDelaysMs?: readonly number[];
  /** Called before each wait between attempts (the daemon extends systemd's start timeout). */
  onWait?: (ms: number) => void;
  /** One registration attempt (tests may count calls). */
  attempt?: (a: RegisterAttempt) => Promise<RegisterResult>;
}

const DEFAULT_RETRY_DELAYS = [5_000, 15_000, 60_000, 300_000];

/** The config with the account's password: the stored one, or a new account's. */
export async function provisionAccount(config: ThingConfig, log: Logger, opts: ProvisionOptions = {}): Promise<ThingConfig> {
  const register = config.xmpp.register;
  if (!register || config.xmpp.password !== "") return config; // a configured password always wins
  const store = new CredentialStore(config.stateDir);
  const jid = config.xmpp.jid;
  let creds = await store.load();
  if (creds?.registered && creds.jid === jid) {
    log.debug({ jid, file: store.file }, "using the stored password of the self-registered account");
    return withPassword(config, creds.password);
  }
  if (!creds || creds.jid !== jid) {
    creds = { version: 1, jid, password: newPassword(), registered: false };
    await store.save(creds); // before it is ever sent
  }
  const attempt = opts.attempt ?? registerOnce;
  const delays = opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS;
  const local = jid.slice(0, jid.indexOf("@"));
  for (let n = 0; ; n++) {
    let result: RegisterResult | Error;
    try {
      result = await attempt({
        service: config.xmpp.service,
        domain: config.xmpp.domain,
        username: local,
        password: creds.password,
        ...(register.invite !== undefined && { invite: register.invite }),
        ...(opts.ca !== undefined && { ca: opts.ca }),
        tlsRequired: config.xmpp.tls.required,
      });
    } catch (err) {
      result = err as Error;
    }
    if (!(result instanceof Error)) {
      const done = await settle(result, creds, store, log);
      if (done) return withPassword(config, done.password);
    } else {
      log.warn({ err: { message: result.message }, jid, service: config.xmpp.service }, "account registration failed; will try again");
    }
    const delay = delays[Math.min(n, delays.length - 1)] ?? 60_000;
    log.info({ jid, retryInMs: delay }, "registration will be retried");
    opts.onWait?.(delay);
    await sleep(delay, undefined, opts.signal ? { signal: opts.signal } : {});
  }
}

/** Credentials to use, undefined to retry; throws ConfigError for a permanent refusal. */
async function settle(result: RegisterResult, creds: Credentials, store: CredentialStore, log: Logger): Promise<Credentials | undefined> {
  const { verdict, step, answer } = result;
  const detail = `${answer.condition ?? "error"}${answer.text ? `: ${answer.text}` : ""}`;
  switch (verdict) {
    case "registered":
    case "exists": {
      if (verdict === "exists") {
        // Ours from an attempt whose answer was lost, or somebody else's: the login will tell.
        log.warn({ jid: creds.jid }, "the account exists already; logging in with the stored password (if the login is refused, the account belongs to someone else: remove it on the server or set xmpp.password)");
      } else {
        log.info({ jid: creds.jid }, "account created by in-band registration");
      }
      const saved: Credentials = { ...creds, registered: true };
      await store.save(saved);
      return saved;
    }
    case "retry":
      log.warn({ jid: creds.jid, condition: answer.condition, text: answer.text }, "the server asked to try the registration later");
      return undefined;
    case "refused": {
      const why =
        step === "preauth"
          ? `the invite token was refused (${detail}): xmpp.invite must be a valid, unused token`
          : `the server refused to create ${creds.jid} (${detail}): allow registration on the server (Prosody allow_registration, ejabberd mod_register), give an invite token in xmpp.invite, or create the account and set xmpp.password`;
      const problem = { file: "", path: step === "preauth" ? "xmpp.invite" : "xmpp.register", message: why };
      throw new ConfigError(why, [problem]);
    }
  }
}

function withPassword(config: ThingConfig, password: string): ThingConfig {
  return { ...config, xmpp: { ...config.xmpp, password } };
}
