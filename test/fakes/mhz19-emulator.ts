// MH-Z19 on the far end of a pty pair, for serial tests.
import { openSync, writeSync, constants } from "node:fs";
import { ReadStream } from "node:tty";
import { buildResponse, READ_CO2_COMMAND } from "../../drivers/serial/mhz19.js";

/**
 * The sensor's end of the pty: reads commands (tty.ReadStream, non-blocking) and answers each
 * 0x86 query with the next scripted reply (a good frame by default).
 */
export class Mhz19Emulator {
  readonly received: Buffer[] = [];
  readonly replies: Buffer[] = [];
  co2 = 800;
  #buf = Buffer.alloc(0);
  readonly #stream: ReadStream;

  constructor(private readonly fd: number) {
    this.#stream = new ReadStream(fd);
    this.#stream.on("error", () => {}); // EIO once socat is gone
    this.#stream.on("data", (chunk: Buffer) => this.#onData(chunk));
  }

  static open(path: string): Mhz19Emulator {
    return new Mhz19Emulator(openSync(path, constants.O_RDWR | constants.O_NOCTTY));
  }

  #onData(chunk: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, chunk]);
    while (this.#buf.length >= 9) {
      const start = this.#buf.indexOf(0xff);
      if (start < 0) {
        this.#buf = Buffer.alloc(0);
        break;
      }
      if (this.#buf.length - start < 9) break;
      const cmd = this.#buf.subarray(start, start + 9);
      this.#buf = this.#buf.subarray(start + 9);
      this.received.push(Buffer.from(cmd));
      if (cmd.equals(READ_CO2_COMMAND)) {
        const reply = this.replies.shift() ?? buildResponse(this.co2, 24);
        // Noise first, then the reply in two writes: the driver must resync and reassemble.
        try {
          writeSync(this.fd, Buffer.from([0x00, 0x42]));
          writeSync(this.fd, reply.subarray(0, 3));
          writeSync(this.fd, reply.subarray(3));
        } catch {
          // the line is gone
        }
      }
    }
  }

  close(): void {
    this.#stream.destroy(); // closes the fd
  }
}
