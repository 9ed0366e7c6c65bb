// Reading a QR code from pixels: the browser's BarcodeDetector where it has one that knows QR
// codes (Chrome on Android, macOS, ChromeOS), else jsQR, loaded only when first needed (its own
// chunk: the console's main bundle does not carry it). Camera frames and image files both come
// here as a canvas, so the "scan from image" fallback exercises the same decoder as the camera.

export type DecoderKind = "BarcodeDetector" | "jsQR";

export interface QrDecoder {
  kind: DecoderKind;
  decode(canvas: HTMLCanvasElement): Promise<string | null>;
}

interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<DetectedBarcode[]>;
}
interface BarcodeDetectorCtor {
  new (o: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

let chosen: Promise<QrDecoder> | undefined;

/** The decoder for this browser (chosen once). `?qr=jsqr` in the page URL forces jsQR. */
export function qrDecoder(): Promise<QrDecoder> {
  chosen ??= choose().catch((err: unknown) => {
    chosen = undefined;
    throw err;
  });
  return chosen;
}

async function choose(): Promise<QrDecoder> {
  const Ctor = (globalThis as { BarcodeDetector?: BarcodeDetectorCtor }).BarcodeDetector;
  const forced = new URLSearchParams(location.search).get("qr") === "jsqr";
  if (Ctor && !forced) {
    const formats = await Ctor.getSupportedFormats().catch(() => [] as string[]);
    if (formats.includes("qr_code")) {
      const detector = new Ctor({ formats: ["qr_code"] });
      return { kind: "BarcodeDetector", decode: async (c) => (await detector.detect(c))[0]?.rawValue ?? null };
    }
  }
  const { default: jsQR } = await import("jsqr");
  return {
    kind: "jsQR",
    decode: (c) => {
      const ctx = c.getContext("2d", { willReadFrequently: true });
      if (!ctx) return Promise.resolve(null);
      const img = ctx.getImageData(0, 0, c.width, c.height);
      return Promise.resolve(jsQR(img.data, img.width, img.height, { inversionAttempts: "attemptBoth" })?.data ?? null);
    },
  };
}

/** Longest side of the canvas an image is drawn on: enough pixels per module, not too many to scan. */
const MAX_SIDE = 1200;

/** Draws an image file (PNG, JPEG, SVG, …) on a white canvas, scaled to at most MAX_SIDE. */
export async function imageFileToCanvas(file: Blob): Promise<HTMLCanvasElement> {
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode().catch(() => {
      throw new Error("that file is not an image the browser can show");
    });
    const w0 = img.naturalWidth || 800;
    const h0 = img.naturalHeight || 800;
    // Small images (an SVG label is a few hundred units) are scaled up, big photos down.
    const scale = Math.min(MAX_SIDE / Math.max(w0, h0), Math.max(1, 800 / Math.max(w0, h0)));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(w0 * scale));
    canvas.height = Math.max(1, Math.round(h0 * scale));
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    if (!ctx) throw new Error("no 2D canvas in this browser");
    ctx.fillStyle = "#fff"; // transparent pixels would read as black
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return canvas;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** The text of the QR code in an image file, or null when none is found. */
export async function decodeImageFile(file: Blob): Promise<{ text: string | null; kind: DecoderKind }> {
  const [decoder, canvas] = await Promise.all([qrDecoder(), imageFileToCanvas(file)]);
  return { text: await decoder.decode(canvas), kind: decoder.kind };
}
