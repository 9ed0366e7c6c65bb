import { mkdtempSync, rmSync } from "node:fs";
import { FakeLink, openWithRealLink } from "../../fakes/serial-link.js";
import { waitFor } from "../../helpers/wait-for.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BusFactory } from "../../../drivers/bus/types.js";
import { buildFrame, decodeFrame, FrameParser, pms5003, type Pms5003Values } from "../../../drivers/serial/pms5003.js";
import type { Field, Sensor } from "../../../drivers/types.js";
import { PtyEmulator, startPtyPair, type PtyPair } from "../../fakes/pty.js";

const silent = pino({ level: "silent" });

// A frame in the layout of the datasheet's Appendix I, written out byte by byte so the decoder
// is checked against the layout and not against buildFrame.
const KNOWN = Buffer.from([
  0x42, 0x4d, // start characters
  0x00, 0x1c, // frame length 28
  0x00, 0x05, 0x00, 0x08, 0x00, 0x0a, // PM1.0 / PM2.5 / PM10, CF=1
  0x00, 0x04, 0x00, 0x07, 0x00, 0x0c, // PM1.0 / PM2.5 / PM10, atmospheric
  0x03, 0xe8, 0x01, 0x2c, 0x00, 0x3c, // >0.3 µm 1000, >0.5 µm 300, >1.0 µm 60
  0x00, 0x09, 0x00, 0x02, 0x00, 0x01, // >2.5 µm 9, >5.0 µm 2, >10 µm 1
  0x97, 0x00, // reserved (data 13)
  0x02, 0xd0, // check code: sum of the 30 bytes above
]);

const T = new Date("2025-01-02T03:04:05.000Z");

function numeric(name: string, value: number, unit: "µg/m³" | "#/0.1l"): Field {
  return { type: "numeric", name, value, unit, decimals: 0, timestamp: T };
}

/** Values → the field name → value map a read should give, for compact assertions. */
function valuesOf(fields: Field[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f.name, f.value]));
}

const A: Partial<Pms5003Values> = { pm1_0: 3, pm2_5: 11, pm10: 17, particles_0_3: 900 };
const B: Partial<Pms5003Values> = { pm1_0: 21, pm2_5: 35, pm10: 48, particles_0_3: 4100 };
const C: Partial<Pms5003Values> = { pm1_0: 64, pm2_5: 250, pm10: 999, particles_10: 7 };

function corrupt(frame: Buffer): Buffer {
  const bad = Buffer.from(frame);
  bad[12]! ^= 0x01; // PM2.5 word changes, check code does not
  return bad;
}

describe("decodeFrame", () => {
  it("decodes every data word of a known frame", () => {
    expect(decodeFrame(KNOWN, T)).toStrictEqual([
      numeric("pm1_0", 4, "µg/m³"),
      numeric("pm2_5", 7, "µg/m³"),
      numeric("pm10", 12, "µg/m³"),
      numeric("pm1_0_cf1", 5, "µg/m³"),
      numeric("pm2_5_cf1", 8, "µg/m³"),
      numeric("pm10_cf1", 10, "µg/m³"),
      numeric("particles_0_3", 1000, "#/0.1l"),
      numeric("particles_0_5", 300, "#/0.1l"),
      numeric("particles_1_0", 60, "#/0.1l"),
      numeric("particles_2_5", 9, "#/0.1l"),
      numeric("particles_5_0", 2, "#/0.1l"),
      numeric("particles_10", 1, "#/0.1l"),
    ]);
  });

  it("reads words big-endian", () => {
    const fields = decodeFrame(buildFrame({ pm2_5: 0x1234 }), T);
    expect(fields.find((f) => f.name === "pm2_5")?.value).toBe(0x1234);
  });

  it("rejects a bad checksum, naming both sums", () => {
    expect(() => decodeFrame(corrupt(KNOWN), T)).toThrow(
      "pms5003 frame: bad checksum: frame says 0x02d0, bytes sum to 0x02d1",
    );
  });

  it("rejects a wrong header, length or size", () => {
    const header = Buffer.from(KNOWN);
    header[1] = 0x4e;
    expect(() => decodeFrame(header, T)).toThrow("expected header 42 4d, got 424e");
    const length = Buffer.from(KNOWN);
    length[3] = 0x14;
    expect(() => decodeFrame(length, T)).toThrow("expected frame length 28, got 20");
    expect(() => decodeFrame(KNOWN.subarray(0, 31), T)).toThrow("expected 32 bytes, got 31");
  });

  it("buildFrame encodes the same bytes as the datasheet layout", () => {
    const values = {
      pm1_0_cf1: 5, pm2_5_cf1: 8, pm10_cf1: 10, pm1_0: 4, pm2_5: 7, pm10: 12,
      particles_0_3: 1000, particles_0_5: 300, particles_1_0: 60, particles_2_5: 9, particles_5_0: 2, particles_10: 1,
    };
    expect(buildFrame(values, 0x9700)).toStrictEqual(KNOWN);
  });
});

describe("FrameParser", () => {
  it("skips garbage before a frame", () => {
    const parser = new FrameParser();
    const frames = parser.push(Buffer.concat([Buffer.from([0x00, 0xff, 0x42, 0x13, 0x4d]), KNOWN]));
    expect(frames).toStrictEqual([KNOWN]);
    expect(parser.skippedBytes).toBe(5);
    expect(parser.badFrames).toBe(0);
  });

  it("assembles a frame pushed one byte at a time", () => {
    const parser = new FrameParser();
    const out: Buffer[] = [];
    for (const byte of KNOWN) out.push(...parser.push(Buffer.from([byte])));
    expect(out).toStrictEqual([KNOWN]);
  });

  it("returns two frames from one chunk, in order", () => {
    const parser = new FrameParser();
    const frames = parser.push(Buffer.concat([buildFrame(A), buildFrame(B)]));
    expect(frames.map((f) => valuesOf(decodeFrame(f, T)).pm2_5)).toStrictEqual([11, 35]);
  });

  it("skips a corrupted frame and decodes the next good one", () => {
    const parser = new FrameParser();
    const frames = parser.push(Buffer.concat([corrupt(buildFrame(A)), buildFrame(B)]));
    expect(frames.map((f) => valuesOf(decodeFrame(f, T)).pm2_5)).toStrictEqual([35]);
    expect(parser.badFrames).toBe(1);
  });

  it("finds a good frame that starts inside a truncated one", () => {
    const parser = new FrameParser();
    const truncated = buildFrame(A).subarray(0, 20); // bytes lost on the line
    const frames = parser.push(Buffer.concat([truncated, buildFrame(B), buildFrame(C)]));
    expect(frames.map((f) => valuesOf(decodeFrame(f, T)).pm2_5)).toStrictEqual([35, 250]);
    expect(parser.badFrames).toBe(1);
  });

  it("rejects a wrong frame length before 32 bytes arrive", () => {
    const parser = new FrameParser();
    expect(parser.push(Buffer.from([0x42, 0x4d, 0x00, 0x14, 0x00]))).toStrictEqual([]);
    expect(parser.badFrames).toBe(1);
    expect(parser.push(buildFrame(C)).length).toBe(1);
  });

  it("keeps a header split across chunks", () => {
    const parser = new FrameParser();
    const frame = buildFrame(B);
    expect(parser.push(Buffer.concat([Buffer.from([0x11, 0x22]), frame.subarray(0, 1)]))).toStrictEqual([]);
    expect(parser.push(frame.subarray(1))).toStrictEqual([frame]);
  });
});

/** A SerialLink driven by the test, for read() semantics without timing from a real line. */

async function openWithFake(staleAfterMs = 5000): Promise<{ sensor: Sensor; link: FakeLink }> {
  const link = new FakeLink();
  const bus: BusFactory = { serial: () => link };
  const config = pms5003.configSchema.parse({ port: "/dev/fake0", stale_after_ms: staleAfterMs });
  return { sensor: await pms5003.open(config, { bus, log: silent, id: "pm" }), link };
}

describe("pms5003 sensor", () => {
  it("applies config defaults and rejects unknown keys", () => {
    expect(pms5003.configSchema.parse({ port: "/dev/serial0" })).toStrictEqual({
      port: "/dev/serial0",
      baud: 9600,
      stale_after_ms: 5000,
    });
    expect(pms5003.configSchema.safeParse({ port: "/dev/serial0", speed: 1 }).success).toBe(false);
    expect(pms5003.configSchema.safeParse({}).success).toBe(false);
  });

  it("describes twelve numeric fields with units", () => {
    const fields = pms5003.describeFields(pms5003.configSchema.parse(pms5003.example));
    expect(fields.length).toBe(12);
    expect(fields[1]).toStrictEqual({ name: "pm2_5", type: "numeric", unit: "µg/m³" });
    expect(fields.every((f) => f.unit)).toBe(true);
  });

  it("waits for the next frame, then serves it while fresh", async () => {
    const { sensor, link } = await openWithFake();
    const pending = sensor.read(AbortSignal.timeout(2000));
    link.feed(buildFrame(A));
    expect(valuesOf(await pending).pm2_5).toBe(11);
    expect(valuesOf(await sensor.read(AbortSignal.timeout(2000))).pm2_5).toBe(11);
    await sensor.close();
    expect(link.closed).toBe(true);
  });

  it("does not serve a stale frame", async () => {
    const { sensor, link } = await openWithFake(1);
    link.feed(buildFrame(A));
    const start = performance.now();
    while (performance.now() - start < 3); // older than 1 ms, without a timer
    const pending = sensor.read(AbortSignal.timeout(2000));
    link.feed(buildFrame(B));
    expect(valuesOf(await pending).pm2_5).toBe(35);
    await sensor.close();
  });

  it("rejects with the signal's reason when no frame comes", async () => {
    const { sensor } = await openWithFake();
    const ac = new AbortController();
    const pending = sensor.read(ac.signal);
    const reason = new Error("timed out");
    ac.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await sensor.close();
  });

  it("rejects at once while the link is down, and a waiting read when it goes down", async () => {
    const { sensor, link } = await openWithFake();
    const pending = sensor.read(AbortSignal.timeout(5000));
    link.down(new Error("serial /dev/fake0: ENOENT: no such file or directory"));
    await expect(pending).rejects.toThrow(
      "pms5003 on /dev/fake0: serial link down: serial /dev/fake0: ENOENT: no such file or directory",
    );
    await expect(sensor.read(AbortSignal.timeout(5000))).rejects.toThrow("serial link down");
    await sensor.close();
  });
});

/** Poll `check` until it returns a value other than undefined/false (no fixed sleeps). */

/** A logger whose lines the test can inspect. */
function capturingLogger(): { log: Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level: "debug" }, sink), lines };
}

describe("pms5003 over a real pty (socat)", () => {
  let dir: string;
  let pair: PtyPair | undefined;
  let emulator: PtyEmulator | undefined;
  let sensor: Sensor | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "thingd-pty-"));
  });

  afterEach(async () => {
    await sensor?.close();
    await emulator?.close();
    await pair?.stop();
    sensor = emulator = pair = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Open the driver through the real bus factory, keeping a handle on its link. */
  function openDriver(port: string, log: Logger = silent) {
    return openWithRealLink(pms5003, { port }, "pm", log);
  }

  /** Read until the PM2.5 value is `pm2_5` (earlier frames may still be the freshest). */
  function readUntil(s: Sensor, pm2_5: number): Promise<Record<string, unknown>> {
    return waitFor(async () => {
      const v = valuesOf(await s.read(AbortSignal.timeout(1000)));
      return v.pm2_5 === pm2_5 ? v : undefined;
    }, `pm2_5 = ${pm2_5}`);
  }

  it("reads frames written in pieces, skipping a corrupted one", async () => {
    pair = await startPtyPair(dir);
    const opened = await openDriver(pair.devicePath);
    sensor = opened.sensor;
    await waitFor(() => opened.link().isOpen, "the link to open");
    emulator = await PtyEmulator.open(pair.emulatorPath);

    const pending = sensor.read(AbortSignal.timeout(3000));
    await emulator.write(Buffer.from([0x00, 0x42, 0x99])); // line noise
    await emulator.write(corrupt(buildFrame(C)));
    await emulator.writeInPieces(buildFrame(A), 5);
    expect(valuesOf(await pending)).toMatchObject({ pm1_0: 3, pm2_5: 11, pm10: 17, particles_0_3: 900 });

    await emulator.writeInPieces(buildFrame(B), 1); // byte by byte
    expect(await readUntil(sensor, 35)).toMatchObject({ pm1_0: 21, pm10: 48, particles_0_3: 4100 });
  });

  it("reports an unplug and reads again after a replug", async () => {
    const { log, lines } = capturingLogger();
    pair = await startPtyPair(dir);
    const opened = await openDriver(pair.devicePath, log);
    sensor = opened.sensor;
    const link = opened.link();
    await waitFor(() => link.isOpen, "the link to open");
    emulator = await PtyEmulator.open(pair.emulatorPath);
    await emulator.write(buildFrame(A));
    expect(await readUntil(sensor, 11)).toMatchObject({ pm10: 17 });

    // Unplug: socat exits, the pty vanishes under the open port.
    await pair.stop();
    await emulator.close();
    await waitFor(() => !link.isOpen && link.failure, "the link to go down");
    expect(link.failure!.message).toMatch(new RegExp(`^serial ${pair.devicePath}: `));
    const err = await sensor.read(AbortSignal.timeout(1000)).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain(`pms5003 on ${pair.devicePath}: serial link down: serial ${pair.devicePath}:`);
    // Retries meanwhile hit the missing link: ENOENT, still one warning for the whole outage.
    await waitFor(() => link.failure?.message.includes("ENOENT: no such file or directory"), "an ENOENT retry");

    // Replug on the same path.
    pair = await startPtyPair(dir);
    await waitFor(() => link.isOpen, "the link to reopen");
    expect(link.failure).toBeUndefined();
    emulator = await PtyEmulator.open(pair.emulatorPath);
    await emulator.write(buildFrame(C));
    expect(await readUntil(sensor, 250)).toMatchObject({ pm1_0: 64, pm10: 999, particles_10: 7 });

    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings.map((l) => l.msg)).toStrictEqual(["serial port unavailable; reopening with backoff"]);
    expect(lines.filter((l) => l.level === 30).map((l) => l.msg)).toStrictEqual([
      "serial port open",
      "serial port reopened",
    ]);
  });

  it("keeps retrying a port that does not exist yet, and reads once it appears", async () => {
    const opened = await openDriver(join(dir, "a"));
    sensor = opened.sensor;
    await waitFor(() => opened.link().failure, "the first open to fail");
    await expect(sensor.read(AbortSignal.timeout(1000))).rejects.toThrow(
      `serial link down: serial ${join(dir, "a")}: ENOENT: no such file or directory`,
    );
    pair = await startPtyPair(dir);
    await waitFor(() => opened.link().isOpen, "the link to open");
    emulator = await PtyEmulator.open(pair.emulatorPath);
    await emulator.write(buildFrame(B));
    expect(await readUntil(sensor, 35)).toMatchObject({ pm10: 48 });
  });
});
