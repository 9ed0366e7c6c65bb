// Chat commands (docs/registry.md "Claim by chat"): a message body holding an iotdisco: URI
// claims; `list`, `disown JID`, `remove JID`, `help`. Answers are plain chat messages.
import { xml, type Element } from "@xmpp/xml";
import type { Logger } from "pino";
import { claimByText, HELP_TEXT, listText, ownerAction } from "./people.js";
import type { RegistryService } from "./service.js";

/** Longer bodies are ignored: no claim code or command is anywhere near this. */
export const MAX_BODY = 4096;

export async function answerChat(msg: Element, service: RegistryService, domain: string, log: Logger): Promise<Element | undefined> {
  const type = msg.attrs.type ?? "normal";
  if (type !== "chat" && type !== "normal") return undefined; // error, groupchat, headline
  const from = msg.attrs.from;
  const body = msg.getChildText("body");
  if (!from || body === null || body.length > MAX_BODY) return undefined;
  const text = body.trim();
  const [word = "", ...rest] = text.split(/\s+/u);
  let answer: string;
  switch (word.toLowerCase()) {
    case "":
      return undefined;
    case "help":
    case "?":
      answer = HELP_TEXT;
      break;
    case "list":
      answer = listText(service, from);
      break;
    case "disown":
    case "remove":
      answer = await ownerAction(service, word.toLowerCase() as "disown" | "remove", from, rest[0], log);
      break;
    default:
      answer = await claimByText(service, domain, from, text, log);
  }
  return xml("message", { type: "chat", to: from, from: domain, id: `r${Date.now().toString(36)}` }, xml("body", {}, answer));
}
