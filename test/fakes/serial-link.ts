// Serial test doubles shared by the serial driver tests: an in-memory SerialLink, and opening a
// driver through the real bus factory (real serialport on a pty) while keeping its link.
import type { Logger } from "pino";
import { createBusFactory } from "../../drivers/bus/index.js";
import type { SerialLink } from "../../drivers/bus/types.js";
import type { DriverDefinition, Sensor } from "../../drivers/types.js";
import { busWith } from "../helpers/bus.js";

/** A SerialLink driven by the test: `feed` bytes in, `down`/`setStatus` change its state. */
export class FakeLink implements SerialLink {
  isOpen = true;
  failure: Error | undefined;
  closed = false;
  readonly writes: Buffer[] = [];
  readonly #data = new Set<(chunk: Buffer) => void>();
  readonly #status = new Set<() => void>();
  onData(l: (chunk: Buffer) => void) {
    this.#data.add(l);
    return () => this.#data.delete(l);
  }
  onStatus(l: () => void) {
    this.#status.add(l);
    return () => this.#status.delete(l);
  }
  async write(data: Buffer) {
    this.writes.push(Buffer.from(data));
  }
  async close() {
    this.closed = true;
  }
  feed(bytes: Buffer | string) {
    const chunk = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
    for (const l of this.#data) l(chunk);
  }
  setStatus(isOpen: boolean, failure?: Error) {
    this.isOpen = isOpen;
    this.failure = failure;
    for (const l of this.#status) l();
  }
  down(failure: Error) {
    this.setStatus(false, failure);
  }
}

/** Open `driver` on `port` through the real bus factory (fast reopen), keeping a handle on its link. */
export async function openWithRealLink<C>(
  driver: DriverDefinition<C>,
  config: Record<string, unknown>,
  id: string,
  log: Logger,
): Promise<{ sensor: Sensor; link: () => SerialLink }> {
  const real = createBusFactory({ serialBackoff: { initialDelayMs: 20, maxDelayMs: 100 } });
  let link: SerialLink | undefined;
  const bus = busWith({ serial: (o, l) => (link = real.serial(o, l)) });
  const sensor = await driver.open(driver.configSchema.parse(config), { bus, log, id });
  return { sensor, link: () => link! };
}
