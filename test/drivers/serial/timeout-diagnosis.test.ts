// A serial sensor that never answers: the read timeout says whether nothing arrived (wiring,
// power) or bytes arrived that never made a frame (the Pi's serial console still on the UART),
// with the byte count. Real pty pairs (socat) and the real Poller.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Poller } from "../../../agent/sensors/poller.js";
import { i2cError } from "../../../drivers/bus/i2c.js";
import { pms5003 } from "../../../drivers/serial/pms5003.js";
import { serialLine } from "../../../drivers/serial/serial-line.js";
import type { Sensor } from "../../../drivers/types.js";
import { openWithRealLink } from "../../fakes/serial-link.js";
import { PtyEmulator, startPtyPair, type PtyPair } from "../../fakes/pty.js";
import { waitFor } from "../../helpers/wait-for.js";

const silent = pino({ level: "silent" });
// What a Pi's serial console prints on the UART a sensor was wired to.
const CONSOLE = Buffer.from("\r\nRaspbian GNU/Linux 12 raspberrypi ttyS0\r\n\r\nraspberrypi login: ");

let dir: string;
let pair: PtyPair | undefined;
let sensor: Sensor | undefined;
let emulator: PtyEmulator | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "thingd-silence-"));
});

afterEach(async () => {
  await sensor?.close();
  await emulator?.close();
  await pair?.stop();
  sensor = emulator = pair = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function pollerOn(driver: typeof serialLine | typeof pms5003, config: Record<string, unknown>): Promise<Poller> {
  pair = await startPtyPair(dir);
  const opened = await openWithRealLink(driver as typeof serialLine, { port: pair.devicePath, ...config }, "s", silent);
  sensor = opened.sensor;
  await waitFor(() => opened.link().isOpen, "the link to open");
  emulator = await PtyEmulator.open(pair.emulatorPath);
  return new Poller({ id: "s", driver: driver.name, periodMs: 1_000, timeoutMs: 400 }, sensor, silent);
}

describe("serial read timeouts", () => {
  it("nothing arrived: says so, with the wiring and supply hints", async () => {
    const poller = await pollerOn(serialLine, { fields: [{ name: "t", pattern: "^T=(\\d+)" }] });
    const err = await poller.poll().then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toBe(
      `read timed out after 400 ms: nothing arrived on ${pair!.devicePath}: check the wiring (sensor TX to the Pi's RX, GPIO15; ` +
        "sensor RX to TX, GPIO14; a common ground; TX/RX swapped?) and the sensor's supply (most UART sensors need 5 V)",
    );
  });

  it("bytes without a frame (a login console on the UART): the count and the console hint", async () => {
    const poller = await pollerOn(pms5003, {});
    await emulator!.write(CONSOLE);
    await new Promise((r) => setTimeout(r, 100));
    const err = await poller.poll().then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toContain(`read timed out after 400 ms: ${CONSOLE.length} bytes arrived on ${pair!.devicePath} but no valid PMS5003 frame`);
    expect(err?.message).toContain("is the serial console still on serial0");
  });

  it("line-fed drivers count the bytes of lines that carry no configured field", async () => {
    const poller = await pollerOn(serialLine, { fields: [{ name: "t", pattern: "^T=(\\d+)" }] });
    await emulator!.write(Buffer.from("hello\nworld\n"));
    await new Promise((r) => setTimeout(r, 100));
    const err = await poller.poll().then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toContain("12 bytes arrived");
    expect(err?.message).toContain("but no valid line with a configured field");
  });
});

describe("I2C and GPIO hints", () => {
  it("a missing /dev/i2c-N says to enable I2C", () => {
    const err = i2cError("/dev/i2c-1", Object.assign(new Error("ENOENT, No such file or directory"), { code: "ENOENT" }));
    expect(err.message).toBe('/dev/i2c-1: not found: enable I2C with "sudo raspi-config nonint do_i2c 0" and reboot');
  });
});
