import { FakeLink as BaseFakeLink } from "../../fakes/serial-link.js";
import { busWith } from "../../helpers/bus.js";
import { usePtyRig } from "../../helpers/pty-rig.js";
import { values } from "../../helpers/values.js";
import { waitFor } from "../../helpers/wait-for.js";
import { Mhz19Emulator } from "../../fakes/mhz19-emulator.js";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  buildCommand,
  buildResponse,
  checksum,
  mhz19,
  parseResponse,
  readingToFields,
  READ_CO2_COMMAND,
  ReplyParser,
} from "../../../drivers/serial/mhz19.js";
import type { Sensor } from "../../../drivers/types.js";

const silent = pino({ level: "silent" });
const T = new Date("2025-01-02T03:04:05.000Z");

// The reply example of the MH-Z19B manual (command 0x86): 0x0260 = 608 ppm.
const KNOWN_REPLY = Buffer.from([0xff, 0x86, 0x02, 0x60, 0x47, 0x00, 0x00, 0x00, 0xd1]);


function corrupt(packet: Buffer): Buffer {
  const bad = Buffer.from(packet);
  bad[3]! ^= 0x01;
  return bad;
}

describe("mhz19 protocol", () => {
  it("builds the read command and the ABC commands byte for byte", () => {
    expect(READ_CO2_COMMAND).toStrictEqual(Buffer.from([0xff, 0x01, 0x86, 0, 0, 0, 0, 0, 0x79]));
    expect(buildCommand(0x79, [0xa0])).toStrictEqual(Buffer.from([0xff, 0x01, 0x79, 0xa0, 0, 0, 0, 0, 0xe6]));
    expect(buildCommand(0x79, [0x00])).toStrictEqual(Buffer.from([0xff, 0x01, 0x79, 0, 0, 0, 0, 0, 0x86]));
  });

  it("computes the check value over bytes 1..7", () => {
    expect(checksum(KNOWN_REPLY)).toBe(0xd1);
    expect(checksum(READ_CO2_COMMAND)).toBe(0x79);
    expect(checksum(Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe(0x00); // 0xFF − 0 + 1 wraps
  });

  it("parses the manual's example reply", () => {
    expect(parseResponse(KNOWN_REPLY)).toStrictEqual({ co2: 608, temperature: 31 });
    expect(readingToFields(parseResponse(KNOWN_REPLY), T)).toStrictEqual([
      { type: "numeric", name: "co2", value: 608, unit: "ppm", decimals: 0, timestamp: T },
      { type: "numeric", name: "temperature", value: 31, unit: "°C", decimals: 0, timestamp: T },
    ]);
    expect(buildResponse(608, 31).subarray(0, 5)).toStrictEqual(KNOWN_REPLY.subarray(0, 5));
  });

  it("rejects a bad checksum, a wrong header or length", () => {
    expect(() => parseResponse(corrupt(KNOWN_REPLY))).toThrow("mhz19 reply: bad checksum: reply says 0xd1, bytes give 0xd0");
    const header = Buffer.from(KNOWN_REPLY);
    header[1] = 0x87;
    expect(() => parseResponse(header)).toThrow("expected header ff 86, got ff87");
    expect(() => parseResponse(KNOWN_REPLY.subarray(0, 8))).toThrow("expected 9 bytes, got 8");
  });

  it("resyncs on FF 86 after noise, across chunks", () => {
    const parser = new ReplyParser();
    expect(parser.push(Buffer.from([0x00, 0xff, 0x01, 0x13, 0xff]))).toBeUndefined();
    const out: Array<Buffer | undefined> = [];
    for (const byte of KNOWN_REPLY.subarray(1)) out.push(parser.push(Buffer.from([byte])));
    expect(out.filter(Boolean)).toStrictEqual([KNOWN_REPLY]);
    expect(parser.skippedBytes).toBe(4);
  });
});


/** The shared fake link, counting the CO₂ queries written to it. */
class FakeLink extends BaseFakeLink {
  queries(): number {
    return this.writes.filter((w) => w.equals(READ_CO2_COMMAND)).length;
  }
}

async function openWithFake(config: Record<string, unknown> = {}): Promise<{ sensor: Sensor; link: FakeLink }> {
  const link = new FakeLink();
  const bus = busWith({ serial: () => link });
  const parsed = mhz19.configSchema.parse({ port: "/dev/fake0", ...config });
  return { sensor: await mhz19.open(parsed, { bus, log: silent, id: "co2" }), link };
}

const flush = () => new Promise((r) => setImmediate(r));

describe("mhz19 sensor", () => {
  it("applies config defaults and rejects unknown keys", () => {
    expect(mhz19.configSchema.parse({ port: "/dev/serial0" })).toStrictEqual({ port: "/dev/serial0", baud: 9600, abc: true });
    expect(mhz19.configSchema.safeParse({ port: "/dev/serial0", timeout: 5 }).success).toBe(false);
  });

  it("sets ABC at open and again after a reopen", async () => {
    const { sensor, link } = await openWithFake({ abc: false });
    const off = buildCommand(0x79, [0x00]);
    expect(link.writes).toStrictEqual([off]);
    link.setStatus(false, new Error("serial /dev/fake0: EIO: input/output error"));
    link.setStatus(true);
    expect(link.writes).toStrictEqual([off, off]);
    await sensor.close();
    expect(link.closed).toBe(true);
  });

  it("queries, skips noise and resolves with the reply", async () => {
    const { sensor, link } = await openWithFake();
    const pending = sensor.read(AbortSignal.timeout(2000));
    await flush();
    expect(link.queries()).toBe(1);
    link.feed(Buffer.from([0x13, 0xff, 0x00]));
    link.feed(KNOWN_REPLY.subarray(0, 4));
    link.feed(KNOWN_REPLY.subarray(4));
    expect(values(await pending)).toStrictEqual({ co2: 608, temperature: 31 });
    await sensor.close();
  });

  it("rejects a corrupted reply", async () => {
    const { sensor, link } = await openWithFake();
    const pending = sensor.read(AbortSignal.timeout(2000));
    await flush();
    link.feed(corrupt(KNOWN_REPLY));
    await expect(pending).rejects.toThrow("mhz19 on /dev/fake0: mhz19 reply: bad checksum");
    await sensor.close();
  });

  it("stays pending without a reply until the signal aborts; the late reply answers nobody", async () => {
    const { sensor, link } = await openWithFake();
    const ac = new AbortController();
    const pending = sensor.read(ac.signal);
    await flush();
    const reason = new Error("timed out");
    ac.abort(reason);
    await expect(pending).rejects.toBe(reason);
    link.feed(KNOWN_REPLY.subarray(0, 5)); // late, partial: dropped
    const next = sensor.read(AbortSignal.timeout(2000));
    await flush();
    link.feed(buildResponse(1234, 22));
    expect(values(await next)).toStrictEqual({ co2: 1234, temperature: 22 });
    await sensor.close();
  });

  it("keeps one query in flight", async () => {
    const { sensor, link } = await openWithFake();
    const first = sensor.read(AbortSignal.timeout(2000));
    const second = sensor.read(AbortSignal.timeout(2000));
    await flush();
    expect(link.queries()).toBe(1);
    link.feed(buildResponse(500));
    expect(values(await first).co2).toBe(500);
    await flush();
    expect(link.queries()).toBe(2);
    link.feed(buildResponse(600));
    expect(values(await second).co2).toBe(600);
    await sensor.close();
  });

  it("rejects at once while the link is down, and a waiting read when it goes down", async () => {
    const { sensor, link } = await openWithFake();
    const pending = sensor.read(AbortSignal.timeout(5000));
    await flush();
    link.setStatus(false, new Error("serial /dev/fake0: ENOENT: no such file or directory"));
    await expect(pending).rejects.toThrow(
      "mhz19 on /dev/fake0: serial link down: serial /dev/fake0: ENOENT: no such file or directory",
    );
    await expect(sensor.read(AbortSignal.timeout(5000))).rejects.toThrow("serial link down");
    await sensor.close();
  });
});



describe("mhz19 over a real pty (socat)", () => {
  const rig = usePtyRig("thingd-mhz19-");

  function openDriver(port: string) {
    return rig.open(mhz19, { port, abc: false }, "co2", silent);
  }

  it("sets ABC, answers queries, and rejects a corrupted reply", async () => {
    const pair = await rig.plug();
    const emulator = Mhz19Emulator.open(pair.emulatorPath);
    rig.defer(() => emulator.close());
    const opened = await openDriver(pair.devicePath);
    const sensor = opened.sensor;
    await waitFor(() => opened.link().isOpen, "the link to open");
    const emu = emulator;
    await waitFor(() => emu.received.length >= 1, "the ABC command");
    expect(emu.received[0]).toStrictEqual(buildCommand(0x79, [0x00]));

    emu.co2 = 1042;
    expect(values(await sensor.read(AbortSignal.timeout(2000)))).toStrictEqual({ co2: 1042, temperature: 24 });

    emu.replies.push(corrupt(buildResponse(777, 24)));
    await expect(sensor.read(AbortSignal.timeout(2000))).rejects.toThrow("bad checksum");

    emu.co2 = 450;
    expect(values(await sensor.read(AbortSignal.timeout(2000))).co2).toBe(450);
  });

  it("rejects a read naming the failure after an unplug", async () => {
    const pair = await rig.plug();
    const emulator = Mhz19Emulator.open(pair.emulatorPath);
    rig.defer(() => emulator.close());
    const opened = await openDriver(pair.devicePath);
    const sensor = opened.sensor;
    const link = opened.link();
    await waitFor(() => link.isOpen, "the link to open");
    expect(values(await sensor.read(AbortSignal.timeout(2000))).co2).toBe(800);

    await pair.stop();
    emulator.close();
    await waitFor(() => !link.isOpen && link.failure, "the link to go down");
    await expect(sensor.read(AbortSignal.timeout(1000))).rejects.toThrow(
      `mhz19 on ${pair.devicePath}: serial link down: serial ${pair.devicePath}:`,
    );
  });
});
