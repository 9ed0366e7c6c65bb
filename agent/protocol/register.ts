// In-band registration (XEP-0077 §3.1) and pre-authenticated registration tokens
// (XEP-0401 §5, `urn:xmpp:pars:0`), as pure builders and parsers. docs/fleets.md "Accounts".
import { xml, type Element } from "@xmpp/xml";

export const NS_REGISTER = "jabber:iq:register";
export const NS_PARS = "urn:xmpp:pars:0";
const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

export function buildRegisterSet(id: string, username: string, password: string): Element {
  return xml("iq", { type: "set", id }, xml("query", { xmlns: NS_REGISTER }, xml("username", {}, username), xml("password", {}, password)));
}

export function buildPreauth(id: string, token: string): Element {
  return xml("iq", { type: "set", id }, xml("preauth", { xmlns: NS_PARS, token }));
}

export interface IqAnswer {
  ok: boolean;
  /** RFC 6120 §8.3.3 defined condition of an error answer (e.g. "conflict"). */
  condition?: string;
  /** `<error type>`: cancel, auth, modify, wait. */
  errorType?: string;
  text?: string;
}

/** An IQ answer as ok, or the defined condition, type and text of its error. */
export function parseIqAnswer(iq: Element): IqAnswer {
  if (iq.name !== "iq") return { ok: false, condition: "undefined-condition", text: `expected an <iq> answer, got <${iq.name}>` };
  if (iq.attrs.type === "result") return { ok: true };
  const error = iq.getChild("error");
  const condition = error?.children.find((c): c is Element => typeof c !== "string" && c.attrs.xmlns === NS_STANZAS && c.name !== "text")?.name;
  const text = error?.getChildText("text", NS_STANZAS) ?? undefined;
  return { ok: false, condition: condition ?? "undefined-condition", ...(error?.attrs.type && { errorType: String(error.attrs.type) }), ...(text && { text }) };
}

export type RegisterVerdict = "registered" | "exists" | "retry" | "refused";

/**
 * What a registration answer means for the Thing. `retry`: a throttle or a passing failure
 * (XEP-0077 §3.1 resource-constraint, `wait` errors; Prosody's registration_throttle answers
 * policy-violation with type wait). `refused`: the server will not register us, whatever we do.
 */
export function registerVerdict(answer: IqAnswer): RegisterVerdict {
  if (answer.ok) return "registered";
  if (answer.condition === "conflict") return "exists";
  if (answer.errorType === "wait" || answer.condition === "resource-constraint" || answer.condition === "remote-server-timeout") return "retry";
  return "refused";
}
