// A printable claim label (`thingd claim --svg FILE`): the claim QR code with the Thing's JID
// and serial number under it, for a sticker on each board's case in a fleet. SVG, so it prints
// sharp at any size; the QR modules come from the encoder qrcode-terminal already ships.
import { createRequire } from "node:module";

interface QrEncoder {
  addData(text: string): void;
  make(): void;
  getModuleCount(): number;
  isDark(row: number, col: number): boolean;
}
type QrEncoderClass = new (typeNumber: number, level: number) => QrEncoder;

/** The QR code of `text` as rows of dark (true) / light modules; level M (15 % recovery: a scuffed sticker still scans). */
export function qrModules(text: string): boolean[][] {
  const require = createRequire(import.meta.url);
  const QRCode = require("qrcode-terminal/vendor/QRCode") as QrEncoderClass;
  const levels = require("qrcode-terminal/vendor/QRCode/QRErrorCorrectLevel") as { M: number };
  const qr = new QRCode(-1, levels.M);
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => qr.isDark(r, c)));
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export interface LabelOptions {
  modules: boolean[][];
  /** Text lines printed under the code (e.g. the JID and "SN …"). */
  caption: readonly string[];
  /** Size of one module in SVG units (default 4). */
  moduleSize?: number;
}

/** The label as a standalone SVG document: a 4-module quiet zone, one path for the dark modules, the caption below. */
export function buildLabelSvg(o: LabelOptions): string {
  const unit = o.moduleSize ?? 4;
  const n = o.modules.length;
  const quiet = 4;
  const side = (n + 2 * quiet) * unit;
  const lineHeight = unit * 3.5;
  const height = side + o.caption.length * lineHeight + unit * 2;
  // One rectangle per horizontal run of dark modules keeps the file small.
  const runs: string[] = [];
  o.modules.forEach((row, r) => {
    for (let c = 0; c < n; ) {
      if (!row[c]) {
        c++;
        continue;
      }
      const start = c;
      while (c < n && row[c]) c++;
      runs.push(`M${(start + quiet) * unit} ${(r + quiet) * unit}h${(c - start) * unit}v${unit}h-${(c - start) * unit}z`);
    }
  });
  const text = o.caption
    .map((line, i) => `<text x="${side / 2}" y="${side + (i + 0.8) * lineHeight}" text-anchor="middle">${escapeXml(line)}</text>`)
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${height}" viewBox="0 0 ${side} ${height}">` +
    `<rect width="100%" height="100%" fill="#fff"/>` +
    `<path fill="#000" shape-rendering="crispEdges" d="${runs.join("")}"/>` +
    `<g font-family="DejaVu Sans Mono, monospace" font-size="${unit * 2.6}" fill="#000">${text}</g>` +
    `</svg>\n`
  );
}
