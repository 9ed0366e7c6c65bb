// What a person can do without a XEP-0347 client, in plain words: claim by pasting a Thing's
// iotdisco: URI, list their Things, disown or remove one. Shared by the chat commands and the
// XEP-0050 ad-hoc commands; every answer is one text for a chat window.
import type { Logger } from "pino";
import { isJid } from "./jid.js";
import { RegistryError } from "./protocol/errors.js";
import { findClaimUri, parseClaimUri } from "./protocol/iotdisco-parse.js";
import { describe, type ThingRecord } from "./store/record.js";
import type { RegistryService } from "./service.js";

const SHOWN_FIRST = ["MAN", "MODEL", "SN", "NAME", "CLASS", "ROOM"];

/** "thing@example.org (MAN example.com, MODEL PiGateway, SN 0001)". */
export function summary(r: ThingRecord): string {
  const keys = [...SHOWN_FIRST.filter((k) => r.tags.has(k)), ...[...r.tags.keys()].filter((k) => k !== "KEY" && !SHOWN_FIRST.includes(k))].slice(0, 4);
  const parts = keys.map((k) => `${r.tags.get(k)!.name} ${r.tags.get(k)!.value}`);
  return parts.length > 0 ? `${describe(r)} (${parts.join(", ")})` : describe(r);
}

function why(err: unknown, log: Logger): string {
  if (err instanceof RegistryError) return err.message;
  log.error({ err }, "internal error in a person's command");
  return "internal error";
}

export async function claimByText(service: RegistryService, domain: string, from: string, text: string, log: Logger): Promise<string> {
  const uri = findClaimUri(text);
  if (!uri) return 'That is not a claim code. Send the Thing\'s iotdisco: text (from its QR code), or "help".';
  try {
    const claim = parseClaimUri(uri);
    if (claim.registry !== undefined && claim.registry.toLowerCase() !== domain) {
      return `That Thing registers with ${claim.registry}, not with this registry (${domain}): send the code there.`;
    }
    const r = await service.mine(from, claim.tags, true);
    return `You now own ${summary(r)}. Add ${r.jid} to your contacts to talk to it.`;
  } catch (err) {
    if (err instanceof RegistryError && err.condition === "item-not-found") {
      return "No unclaimed Thing matches that code. Check that the Thing is online and not yet claimed, and that the code is complete.";
    }
    if (err instanceof RegistryError && err.condition === "resource-constraint") return `Not now: ${err.message}.`;
    return `That claim code is not valid: ${why(err, log)}.`;
  }
}

export function listText(service: RegistryService, from: string): string {
  const mine = service.owned(from);
  if (mine.length === 0) return "You own no Things in this registry. Send a Thing's iotdisco: code to claim it.";
  const lines = mine.map((r) => `- ${summary(r)}${r.isPublic ? (r.removed ? " [removed from searches]" : " [public]") : " [private]"}`);
  return `Your Things (${mine.length}):\n${lines.join("\n")}`;
}

export async function ownerAction(service: RegistryService, action: "disown" | "remove", from: string, jid: string | undefined, log: Logger): Promise<string> {
  const target = jid?.trim();
  if (!target || !isJid(target)) return `Usage: ${action} THING-JID (see "list").`;
  try {
    if (action === "disown") {
      await service.disown(from, target, {});
      return `You no longer own ${target}. It registers again and can be claimed anew.`;
    }
    await service.remove(from, target, {});
    return `${target} is out of public searches. You still own it.`;
  } catch (err) {
    if (err instanceof RegistryError && err.condition === "item-not-found") return `You own no Thing ${target} (see "list").`;
    if (err instanceof RegistryError && err.condition === "not-allowed") return `Cannot ${action} ${target} now: ${err.message}.`;
    return `Cannot ${action} ${target}: ${why(err, log)}.`;
  }
}

export const HELP_TEXT = [
  "Thing Registry. Send me:",
  "- a Thing's claim code (the iotdisco:… text of its QR code) to claim it",
  "- list: your Things",
  "- disown JID: give a Thing up (it can be claimed again)",
  "- remove JID: take a Thing out of public searches",
  "- help: this text",
].join("\n");
