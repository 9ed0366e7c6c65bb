// Minimal typings for qrcode-terminal 0.12 (it ships none). It is CommonJS with
// `module.exports = { generate, setErrorLevel, … }`: use the default import and call
// `qrcode.generate(…)` on it (the method reads `this.error`).
declare module "qrcode-terminal" {
  interface GenerateOptions {
    /** Half-height output drawn with ▀ ▄ █ and spaces (no ANSI colours). */
    small?: boolean;
  }
  interface QrcodeTerminal {
    generate(input: string, opts: GenerateOptions, cb: (qrcode: string) => void): void;
    generate(input: string, cb: (qrcode: string) => void): void;
    setErrorLevel(level: "L" | "M" | "Q" | "H"): void;
  }
  const qrcode: QrcodeTerminal;
  export default qrcode;
}
