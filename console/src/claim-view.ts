// Claim by the Thing's `iotdisco:` URI (its QR code's text): pasted, scanned with the camera,
// or read from a picture of the code; <mine/> to the registry in the URI (tag R), else the one
// entered, else the session's. On success the Thing is added to the roster and the registry's
// list of our Things is read again, so the card appears.
import { cameraAvailable, scanWithCamera } from "./camera-scan.js";
import { buildMineIq, claimedJid, parseIotDiscoUri } from "./claim.js";
import { refusalReason } from "./control.js";
import { h } from "./dom.js";
import { decodeImageFile } from "./qr-decode.js";
import type { Session } from "./session.js";

export function claimView(session: Session): HTMLElement {
  const uri = h("input", { id: "claim-uri", type: "text", placeholder: "iotdisco:MAN=…;KEY=…;R=registry.example.org", required: true, autocomplete: "off" });
  const registry = h("input", { id: "claim-registry", type: "text", placeholder: session.registry ?? "registry.example.org (when the URI has no R)" });
  const msg = h("p", { class: "message", role: "status" });
  const file = h("input", { id: "claim-image", type: "file", accept: "image/*", class: "sr-only" });
  const fileLabel = h("label", { for: "claim-image", class: "button" }, "Scan from image");
  const camera = cameraAvailable() ? h("button", { type: "button", class: "scan-camera" }, "Scan with camera") : null;
  const form = h(
    "form",
    { class: "claim", "aria-label": "Claim a thing" },
    h("label", { for: "claim-uri" }, "Claim a thing: paste its iotdisco: URI"),
    uri,
    h("div", { class: "scan", role: "group", "aria-label": "Read the claim QR code" }, camera, file, fileLabel),
    h("label", { for: "claim-registry" }, "Registry"),
    registry,
    h("button", { type: "submit" }, "Claim"),
    msg,
  );
  const found = (text: string | null, how: string) => {
    if (!text) {
      msg.textContent = `No QR code found ${how}.`;
      return;
    }
    if (!/^iotdisco:/i.test(text.trim())) {
      msg.textContent = "That QR code is not a Thing's claim code (iotdisco:…).";
      return;
    }
    uri.value = text.trim();
    msg.textContent = "Claim code read: check it and press Claim.";
    uri.focus();
  };
  file.addEventListener("change", () => {
    const f = file.files?.[0];
    if (!f) return;
    msg.textContent = "Reading the image…";
    decodeImageFile(f)
      .then(({ text, kind }) => {
        form.dataset.decoder = kind;
        found(text, "in that image");
      })
      .catch((err: Error) => (msg.textContent = `Cannot read the image: ${err.message}`))
      .finally(() => (file.value = ""));
  });
  camera?.addEventListener("click", () => {
    scanWithCamera()
      .then((text) => {
        if (text) found(text, "");
      })
      .catch((err: Error) => (msg.textContent = `Camera: ${err.message}`));
  });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    msg.textContent = "Claiming…";
    claim()
      .then((text) => (msg.textContent = text))
      .catch((err: Error) => (msg.textContent = `Not claimed: ${err.message}`));
  });
  async function claim(): Promise<string> {
    const d = parseIotDiscoUri(uri.value);
    const to = d.registry ?? (registry.value.trim() || session.registry);
    if (!to) throw new Error("the URI names no registry (R): enter it");
    const reply = await session.iq(buildMineIq(to, d));
    if (reply.attrs.type === "error") throw new Error(refusalReason(reply));
    const jid = claimedJid(reply);
    uri.value = "";
    if (jid) await session.addContact(jid);
    if (to === session.registry) await session.refreshOwned().catch(() => {});
    return jid ? `Claimed ${jid}.` : "Claimed; the Thing will ask to be your contact.";
  }
  return form;
}
