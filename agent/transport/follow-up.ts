// What an IQ handler sends after its reply: a readout that has to read its sensors (or wait for
// `when`) answers with <accepted> at once and sends its data later. The handler does not send;
// it yields the batches, in order, and whoever wired it up writes them.
import type { Element } from "@xmpp/xml";

/**
 * Batches of stanzas to send after the reply, each batch in one write. Started only once the
 * reply is on the wire. The sender passes back whether each batch went out (false: offline, so
 * dropped), and throws a failed write back in, so the handler can log it and clean up.
 */
export type FollowUp = AsyncGenerator<Element[], void, boolean>;

/** Write `followUp`'s batches in order with `send` (false: not sent) until it ends. */
export async function sendFollowUp(followUp: FollowUp, send: (batch: Element[]) => Promise<boolean>): Promise<void> {
  let step = await followUp.next();
  while (!step.done) {
    let sent: boolean;
    try {
      sent = await send(step.value);
    } catch (err) {
      step = await followUp.throw(err);
      continue;
    }
    step = await followUp.next(sent);
  }
}
