// The claim QR code (docs/protocol.md §2.5), shared by `thingd claim` and the daemon's start-up log.
// qrcode-terminal is imported on first use: the daemon needs it only while unclaimed.

/** Terminal rendering (half-block characters) of `text` as a QR code. */
export async function renderQr(text: string): Promise<string> {
  const { default: qrcode } = await import("qrcode-terminal");
  return new Promise((resolve) => qrcode.generate(text, { small: true }, resolve));
}
