// A serial driver on a real pseudo-terminal: socat joins two ptys in a temp folder (test/fakes/pty.ts),
// the driver opens one end through the real serialport binding, an emulator plays the sensor on the
// other. One rig per describe block: it makes the folder before each test and, after it, closes
// the sensor and emulators and stops socat, whatever the test got to.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { afterEach, beforeEach } from "vitest";
import type { SerialLink } from "../../drivers/bus/types.js";
import type { DriverDefinition, Sensor } from "../../drivers/types.js";
import { PtyEmulator, startPtyPair, type PtyPair } from "../fakes/pty.js";
import { openWithRealLink } from "../fakes/serial-link.js";

export interface PtyRig {
  /** This test's folder (socat's links are `a` and `b` in it). */
  readonly dir: string;
  /** Start socat; again after `pair.stop()` it is a replug on the same paths. */
  plug(): Promise<PtyPair>;
  /** The sensor's end of the current pair as plain fs writes. */
  emulator(): Promise<PtyEmulator>;
  /** Open `driver` with `config` through the real bus factory (fast reopen), keeping its link. */
  open<C>(driver: DriverDefinition<C>, config: Record<string, unknown>, id: string, log?: Logger): Promise<{ sensor: Sensor; link: () => SerialLink }>;
  /** Also run `close` after the test, with the emulators (for an emulator of another kind). */
  defer(close: () => unknown): void;
}

export function usePtyRig(prefix: string): PtyRig {
  let dir = "";
  let pair: PtyPair | undefined;
  // Closed in this order, as an unplugged board would not: sensors, then emulators, then socat.
  let sensors: Array<() => unknown> = [];
  let emulators: Array<() => unknown> = [];
  let pairs: PtyPair[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    for (const close of [...sensors, ...emulators]) await close();
    for (const p of pairs) await p.stop();
    sensors = [];
    emulators = [];
    pairs = [];
    pair = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    async plug() {
      const p = await startPtyPair(dir);
      pair = p;
      pairs.push(p);
      return p;
    },
    async emulator() {
      if (!pair) throw new Error("plug() first");
      const em = await PtyEmulator.open(pair.emulatorPath);
      emulators.push(() => em.close());
      return em;
    },
    async open(driver, config, id, log = pino({ level: "silent" })) {
      const opened = await openWithRealLink(driver, config, id, log);
      sensors.push(() => opened.sensor.close());
      return opened;
    },
    defer(close) {
      emulators.push(close);
    },
  };
}
