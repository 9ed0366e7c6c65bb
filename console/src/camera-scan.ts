// Scanning a claim QR code with the camera: getUserMedia (the rear camera where there is one)
// into a <video> in a modal dialog; a few frames a second go through the QR decoder
// (./qr-decode.ts) until one holds an iotdisco: URI. Closing the dialog stops the camera.
import { h } from "./dom.js";
import { qrDecoder } from "./qr-decode.js";

const FRAME_MS = 200;
const MAX_SIDE = 800;

export function cameraAvailable(): boolean {
  return typeof navigator.mediaDevices?.getUserMedia === "function";
}

/** Opens the scanner; resolves with the claim URI read, or null when closed without one. */
export function scanWithCamera(): Promise<string | null> {
  const video = h("video", { muted: true, playsinline: true, "aria-label": "Camera preview" });
  const note = h("p", { class: "message", role: "status" }, "Starting the camera…");
  const close = h("button", { type: "button" }, "Cancel");
  const dialog = h(
    "dialog",
    { class: "camera", "aria-labelledby": "camera-title" },
    h("h2", { id: "camera-title" }, "Scan the claim code"),
    video,
    note,
    h("div", { class: "actions" }, close),
  );
  document.body.append(dialog);
  const canvas = document.createElement("canvas");
  let stream: MediaStream | undefined;
  let timer: number | undefined;
  let found: string | null = null;
  close.addEventListener("click", () => dialog.close());
  const done = new Promise<string | null>((resolve) =>
    dialog.addEventListener("close", () => {
      window.clearTimeout(timer);
      stream?.getTracks().forEach((t) => t.stop());
      dialog.remove();
      resolve(found);
    }),
  );
  dialog.showModal();

  const tick = async (): Promise<void> => {
    if (!dialog.open) return;
    if (video.readyState >= 2 && video.videoWidth > 0) {
      const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      canvas.getContext("2d", { willReadFrequently: true })?.drawImage(video, 0, 0, canvas.width, canvas.height);
      const text = await (await qrDecoder()).decode(canvas);
      if (text && /^iotdisco:/i.test(text.trim())) {
        found = text.trim();
        dialog.close();
        return;
      }
      if (text) note.textContent = "That QR code is not a Thing's claim code.";
    }
    timer = window.setTimeout(() => void tick().catch(fail), FRAME_MS);
  };
  const fail = (err: unknown) => {
    note.textContent = `Camera unavailable: ${(err as Error).message}`;
  };
  void (async () => {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false });
    if (!dialog.open) {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    video.srcObject = stream;
    await video.play();
    note.textContent = "Hold the Thing's QR code in front of the camera.";
    await qrDecoder();
    await tick();
  })().catch(fail);
  return done;
}
