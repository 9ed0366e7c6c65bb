// A camera for chromium's fake capture device (--use-file-for-fake-video-capture): a Y4M file
// (YUV 4:2:0) whose frames show a QR code, black modules on white with a quiet zone, drawn
// from the same module matrix `thingd claim --svg` prints.
import { writeFile } from "node:fs/promises";

export async function writeQrY4m(file: string, modules: boolean[][], size = 480, frames = 2): Promise<void> {
  const n = modules.length;
  const quiet = 4;
  const px = Math.floor(size / (n + 2 * quiet));
  const offset = Math.floor((size - px * n) / 2);
  const y = Buffer.alloc(size * size, 235);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!modules[r]![c]) continue;
      for (let dy = 0; dy < px; dy++) y.fill(16, (offset + r * px + dy) * size + offset + c * px, (offset + r * px + dy) * size + offset + (c + 1) * px);
    }
  }
  const chroma = Buffer.alloc((size / 2) * (size / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), y, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${size} H${size} F10:1 Ip A1:1 C420jpeg\n`);
  await writeFile(file, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
}
