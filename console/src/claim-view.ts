// Claim by pasting the Thing's `iotdisco:` URI (its QR code's text): <mine/> to the registry in
// the URI (tag R) or the one entered; on success the Thing is added to the roster.
import { buildMineIq, claimedJid, parseIotDiscoUri } from "./claim.js";
import { refusalReason } from "./control.js";
import { h } from "./dom.js";
import type { Session } from "./session.js";

export function claimView(session: Session): HTMLElement {
  const uri = h("input", { id: "claim-uri", type: "text", placeholder: "iotdisco:MAN=…;KEY=…;R=registry.example.org", required: true });
  const registry = h("input", { id: "claim-registry", type: "text", placeholder: "registry.example.org (when the URI has no R)" });
  const msg = h("p", { class: "message", role: "status" });
  const form = h(
    "form",
    { class: "claim", "aria-label": "Claim a thing" },
    h("label", { for: "claim-uri" }, "Claim a thing: paste its iotdisco: URI"),
    uri,
    h("label", { for: "claim-registry" }, "Registry"),
    registry,
    h("button", { type: "submit" }, "Claim"),
    msg,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    msg.textContent = "Claiming…";
    void claim()
      .then((text) => (msg.textContent = text))
      .catch((err: Error) => (msg.textContent = `Not claimed: ${err.message}`));
  });
  async function claim(): Promise<string> {
    const d = parseIotDiscoUri(uri.value);
    const to = d.registry ?? registry.value.trim();
    if (!to) throw new Error("the URI names no registry (R): enter it");
    const reply = await session.iq(buildMineIq(to, d));
    if (reply.attrs.type === "error") throw new Error(refusalReason(reply));
    const jid = claimedJid(reply);
    uri.value = "";
    if (jid) await session.addContact(jid);
    return jid ? `Claimed ${jid}.` : "Claimed; the Thing will ask to be your contact.";
  }
  return form;
}
