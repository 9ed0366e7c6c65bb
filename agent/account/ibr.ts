// One in-band registration attempt (XEP-0077 §3.1) on a stream of its own: connect, STARTTLS
// (verified like the Thing's own session), then — before any authentication — the optional
// XEP-0401 preauth token and the registration itself; then close. docs/fleets.md "Accounts".
import { Client } from "@xmpp/client-core";
import tcp from "@xmpp/tcp";
import _middleware from "@xmpp/middleware";
import _streamFeatures from "@xmpp/stream-features";
import { setTimeout as sleep } from "node:timers/promises";
import type { Element } from "@xmpp/xml";
import { addVerifiedDirectTls, startTlsFeature } from "../transport/starttls.js";
import { buildPreauth, buildRegisterSet, parseIqAnswer, registerVerdict, type IqAnswer, type RegisterVerdict } from "../protocol/register.js";

const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";

export interface RegisterAttempt {
  service: string;
  domain: string;
  username: string;
  password: string;
  invite?: string;
  ca?: string | Buffer;
  /** Refuse to send the password over a stream that is not encrypted. */
  tlsRequired: boolean;
  timeoutMs?: number;
}

export interface RegisterResult {
  verdict: RegisterVerdict;
  /** Which step answered: the invite token or the registration. */
  step: "preauth" | "register" | "stream";
  answer: IqAnswer;
}

export async function registerOnce(opts: RegisterAttempt): Promise<RegisterResult> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const entity = new Client({ service: opts.service, domain: opts.domain, timeout: timeoutMs });
  tcp({ entity });
  addVerifiedDirectTls(entity, { domain: opts.domain, ...(opts.ca !== undefined && { ca: opts.ca }) });
  const middleware = _middleware({ entity });
  const streamFeatures = _streamFeatures({ middleware });
  streamFeatures.use("starttls", "urn:ietf:params:xml:ns:xmpp-tls", startTlsFeature({ domain: opts.domain, ...(opts.ca !== undefined && { ca: opts.ca }) }));

  let settle: (r: RegisterResult) => void = () => {};
  let fail: (e: Error) => void = () => {};
  const outcome = new Promise<RegisterResult>((resolve, reject) => ((settle = resolve), (fail = reject)));
  const ask = async (stanza: Element): Promise<IqAnswer> => parseIqAnswer(await entity.sendReceive(stanza, timeoutMs));

  // The SASL mechanisms feature comes with every stream that is ready to authenticate; that
  // is where a new account is made instead (XEP-0077 §3.1: registration precedes login).
  streamFeatures.use("mechanisms", NS_SASL, async ({ entity: e }: { entity: Client }) => {
    try {
      if (!e.isSecure() && opts.tlsRequired) {
        throw new Error(`${opts.service}: the server did not offer STARTTLS; refusing to register in clear text`);
      }
      if (opts.invite !== undefined) {
        const answer = await ask(buildPreauth("preauth1", opts.invite));
        if (!answer.ok) {
          settle({ verdict: answer.errorType === "wait" ? "retry" : "refused", step: "preauth", answer });
          return;
        }
      }
      const answer = await ask(buildRegisterSet("register1", opts.username, opts.password));
      settle({ verdict: registerVerdict(answer), step: "register", answer });
    } catch (err) {
      fail(err as Error);
    }
  });

  const onError = (err: Error) => fail(err);
  entity.on("error", onError);
  // start() waits for "online", which a stream that never authenticates does not reach.
  entity.start().catch((err: unknown) => fail(err as Error));
  try {
    return await Promise.race([
      outcome,
      sleep(timeoutMs, undefined, { ref: false }).then(() => {
        throw new Error(`no answer to the registration within ${timeoutMs} ms`);
      }),
    ]);
  } finally {
    entity.removeListener("error", onError);
    entity.on("error", () => {}); // late socket errors of a stream we are dropping
    await Promise.race([entity.stop().catch(() => undefined), sleep(2_000, undefined, { ref: false })]);
  }
}
