// The claim QR code (protocol.md §2.5), shared by `thingd claim` and the daemon's start-up log.
import qrcode from "qrcode-terminal";

/** Terminal rendering (half-block characters) of `text` as a QR code. */
export function renderQr(text: string): Promise<string> {
  return new Promise((resolve) => qrcode.generate(text, { small: true }, resolve));
}
