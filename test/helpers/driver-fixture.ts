// How a driver's test declares the device it talks to, so the all-drivers e2e
// (test/e2e/all-drivers.e2e.test.ts) can wire every entry of examples/all-drivers.yaml without
// knowing the drivers: each driver test folder has a `<name>.fixture.ts` exporting `fixtures`.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { FakeI2cBus } from "../fakes/i2c-bus.js";
import { PtyEmulator, startPtyPair, type PtyPair } from "../fakes/pty.js";

/** What a fixture gets to emulate its device with; everything is torn down after the test. */
export class DriverRig {
  readonly #buses = new Map<number, FakeI2cBus>();
  readonly #cleanups: Array<() => unknown> = [];
  #ports = 0;

  /** `dir` is an empty folder for this rig; the fake /sys tree is `<dir>/sys`. */
  constructor(readonly dir: string) {}

  get sysfsRoot(): string {
    return path.join(this.dir, "sys");
  }

  /** The fake adapter /dev/i2c-`bus`, created on first use. */
  i2c(bus = 1): FakeI2cBus {
    let fake = this.#buses.get(bus);
    if (!fake) this.#buses.set(bus, (fake = new FakeI2cBus(bus)));
    return fake;
  }

  /** Opens adapter N for the bus factory (`i2cOpenBus`). */
  readonly openI2c = (bus: number): Promise<FakeI2cBus> => Promise.resolve(this.i2c(bus));

  /** A socat pty pair; the driver's `port` is its `devicePath`. */
  async serialPort(): Promise<PtyPair> {
    const dir = path.join(this.dir, `pty${this.#ports++}`);
    await mkdir(dir);
    const pair = await startPtyPair(dir);
    this.defer(() => pair.stop());
    return pair;
  }

  /** A pty pair whose device end receives `make()` every 100 ms until the end; returns its port. */
  async streamingPort(make: () => Buffer): Promise<string> {
    const pair = await this.serialPort();
    const em = await PtyEmulator.open(pair.emulatorPath);
    const timer = setInterval(() => void em.write(make()).catch(() => {}), 100);
    this.defer(async () => {
      clearInterval(timer);
      await em.close();
    });
    return pair.devicePath;
  }

  /** Write `text` to `<sysfsRoot>/<relative>`, making its folders. */
  async sysfsFile(relative: string, text: string): Promise<void> {
    const file = path.join(this.sysfsRoot, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }

  /** The Pi 4's pin controller (gpiochip512, "pinctrl-bcm2711") in the fake /sys, for GPIO drivers. */
  async piGpioChip(): Promise<void> {
    await this.sysfsFile("class/gpio/gpiochip512/base", "512\n");
    await this.sysfsFile("class/gpio/gpiochip512/label", "pinctrl-bcm2711\n");
    await this.sysfsFile("class/gpio/gpiochip512/ngpio", "58\n");
  }

  /** Run `fn` at teardown (last deferred first). */
  defer(fn: () => unknown): void {
    this.#cleanups.push(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.#cleanups.splice(0).reverse()) await fn();
  }
}

/** One driver's device, as the all-drivers e2e needs it. */
export interface DriverFixture {
  /** The registry name (`driver:` in a sensor map). */
  driver: string;
  /**
   * Emulate the device that `options` (the driver's example keys, defaults applied) points at.
   * Returns keys to replace in the entry, e.g. `{ port }` for a pty.
   */
  attach(rig: DriverRig, options: Record<string, unknown>): Promise<Record<string, unknown> | void> | void;
  /** Field values a read of the example gives with this device (a subset of the fields). */
  expected: Record<string, unknown>;
}
