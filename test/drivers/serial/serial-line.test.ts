import { FakeLink } from "../../fakes/serial-link.js";
import { busWith } from "../../helpers/bus.js";
import { usePtyRig } from "../../helpers/pty-rig.js";
import { values } from "../../helpers/values.js";
import { waitFor } from "../../helpers/wait-for.js";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { compileFields, extractFields, LineSplitter, serialLine } from "../../../drivers/serial/serial-line.js";
import type { Sensor } from "../../../drivers/types.js";

const silent = pino({ level: "silent" });
const T = new Date("2025-01-02T03:04:05.000Z");

const FIELDS = [
  { name: "temperature", pattern: "T=(-?[0-9.]+)", unit: "°C", decimals: 1 },
  { name: "humidity", pattern: "H=([0-9.]+)", unit: "%", decimals: 0 },
  { name: "door_open", pattern: "door=(\\w+)", type: "boolean" },
  { name: "state", pattern: "state=(\\S+)", type: "string" },
];


function compiled() {
  return compileFields(serialLine.configSchema.parse({ port: "/dev/x", fields: FIELDS }).fields);
}

describe("serial-line config", () => {
  it("applies defaults", () => {
    expect(serialLine.configSchema.parse({ port: "/dev/ttyACM0", fields: [{ name: "x", pattern: "x=(\\d+)" }] })).toStrictEqual({
      port: "/dev/ttyACM0",
      baud: 9600,
      line_end: "\n",
      fields: [{ name: "x", pattern: "x=(\\d+)", unit: "", decimals: 0, type: "numeric" }],
      stale_after_ms: 10_000,
    });
  });

  it("rejects an invalid regex, a wrong number of groups, duplicate names, unknown units", () => {
    const bad = (fields: unknown[]) => {
      const r = serialLine.configSchema.safeParse({ port: "/dev/x", fields });
      return r.success ? [] : r.error.issues.map((i) => i.message);
    };
    expect(bad([{ name: "a", pattern: "a=([0-9" }])[0]).toMatch(/^invalid regex: /);
    expect(bad([{ name: "a", pattern: "a=[0-9]+" }])).toStrictEqual(["expected exactly one capture group, found 0"]);
    expect(bad([{ name: "a", pattern: "(a)=(\\d)" }])).toStrictEqual(["expected exactly one capture group, found 2"]);
    expect(bad([{ name: "a", pattern: "(?:a)=(\\d)" }])).toStrictEqual([]);
    expect(bad([{ name: "a", pattern: "a=(\\d)" }, { name: "a", pattern: "b=(\\d)" }])).toStrictEqual(['duplicate field name "a"']);
    expect(bad([{ name: "a", pattern: "a=(\\d)", unit: "degC" }]).length).toBe(1);
    expect(bad([]).length).toBe(1);
  });
});

describe("extractFields", () => {
  it("extracts every typed field of a line, in config order", () => {
    expect(extractFields("T=21.5 H=40 door=open state=idle", compiled(), T)).toStrictEqual([
      { type: "numeric", name: "temperature", value: 21.5, unit: "°C", decimals: 1, timestamp: T },
      { type: "numeric", name: "humidity", value: 40, unit: "%", decimals: 0, timestamp: T },
      { type: "string", name: "state", value: "idle", timestamp: T },
    ]);
  });

  it("converts booleans and skips values that do not convert", () => {
    expect(extractFields("door=1", compiled(), T)).toStrictEqual([{ type: "boolean", name: "door_open", value: true, timestamp: T }]);
    expect(extractFields("door=OFF", compiled(), T)).toStrictEqual([{ type: "boolean", name: "door_open", value: false, timestamp: T }]);
    expect(extractFields("door=maybe T=. H=", compiled(), T)).toStrictEqual([]);
    expect(extractFields("T=-3.25", compiled(), T)).toStrictEqual([
      { type: "numeric", name: "temperature", value: -3.25, unit: "°C", decimals: 1, timestamp: T },
    ]);
    expect(extractFields("hello", compiled(), T)).toStrictEqual([]);
  });
});

describe("LineSplitter", () => {
  it("joins pieces, drops CR before LF, keeps a partial line and UTF-8 split across chunks", () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from("T=2"))).toStrictEqual([]);
    expect(s.push(Buffer.from("1.5\r\nH=4"))).toStrictEqual(["T=21.5"]);
    const deg = Buffer.from("°\n");
    expect(s.push(Buffer.concat([Buffer.from("0 "), deg.subarray(0, 1)]))).toStrictEqual([]);
    expect(s.push(deg.subarray(1))).toStrictEqual(["H=40 °"]);
  });

  it("uses a custom line end and drops overlong lines", () => {
    const s = new LineSplitter(";", 8);
    expect(s.push(Buffer.from("a=1;b=2;"))).toStrictEqual(["a=1", "b=2"]);
    expect(s.push(Buffer.from("0123456789"))).toStrictEqual([]);
    expect(s.droppedLines).toBe(1);
    expect(s.push(Buffer.from(";c=3;"))).toStrictEqual(["", "c=3"]);
  });
});


async function openWithFake(staleAfterMs = 5000): Promise<{ sensor: Sensor; link: FakeLink }> {
  const link = new FakeLink();
  const bus = busWith({ serial: () => link });
  const config = serialLine.configSchema.parse({ port: "/dev/fake0", fields: FIELDS, stale_after_ms: staleAfterMs });
  return { sensor: await serialLine.open(config, { bus, log: silent, id: "ard" }), link };
}

describe("serial-line sensor", () => {
  it("waits for a matching line, then serves the latest value of each field", async () => {
    const { sensor, link } = await openWithFake();
    const pending = sensor.read(AbortSignal.timeout(2000));
    link.feed("booting...\n");
    link.feed("T=20.0\n");
    expect(values(await pending)).toStrictEqual({ temperature: 20 });
    link.feed("H=55\nT=20.5\n");
    expect(values(await sensor.read(AbortSignal.timeout(2000)))).toStrictEqual({ temperature: 20.5, humidity: 55 });
    await sensor.close();
  });

  it("leaves out stale fields", async () => {
    const { sensor, link } = await openWithFake(20);
    link.feed("H=55\n");
    const start = performance.now();
    while (performance.now() - start < 30); // older than 20 ms, without a timer
    link.feed("T=19\n");
    expect(values(await sensor.read(AbortSignal.timeout(2000)))).toStrictEqual({ temperature: 19 });
    await sensor.close();
  });

  it("rejects with the signal's reason when nothing fresh comes", async () => {
    const { sensor, link } = await openWithFake();
    const ac = new AbortController();
    const pending = sensor.read(ac.signal);
    link.feed("nothing to see\n");
    const reason = new Error("timed out");
    ac.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await sensor.close();
  });

  it("rejects at once while the link is down", async () => {
    const { sensor, link } = await openWithFake();
    link.feed("T=1\n");
    link.down(new Error("serial /dev/fake0: EIO: input/output error"));
    await expect(sensor.read(AbortSignal.timeout(1000))).rejects.toThrow(
      "serial-line on /dev/fake0: serial link down: serial /dev/fake0: EIO: input/output error",
    );
    await sensor.close();
  });
});


describe("serial-line over a real pty (socat)", () => {
  const rig = usePtyRig("thingd-line-");

  function openDriver(port: string) {
    return rig.open(serialLine, { port, baud: 115200, fields: FIELDS, line_end: "\r\n" }, "ard", silent);
  }

  it("reads an Arduino's lines written in pieces", async () => {
    const pair = await rig.plug();
    const opened = await openDriver(pair.devicePath);
    const sensor = opened.sensor;
    await waitFor(() => opened.link().isOpen, "the link to open");
    const emulator = await rig.emulator();

    const pending = sensor.read(AbortSignal.timeout(3000));
    await emulator.writeInPieces(Buffer.from("Arduino ready\r\nT=22.25 H=48 door=0\r\n"), 3);
    expect(values(await pending)).toStrictEqual({ temperature: 22.25, humidity: 48, door_open: false });

    await emulator.writeInPieces(Buffer.from("state=running door=1\r\n"), 1);
    const s = sensor;
    const v = await waitFor(async () => {
      const got = values(await s.read(AbortSignal.timeout(1000)));
      return got.state === "running" ? got : undefined;
    }, "the state line");
    expect(v).toStrictEqual({ temperature: 22.25, humidity: 48, door_open: true, state: "running" });
  });

  it("rejects a read naming the failure after an unplug", async () => {
    const pair = await rig.plug();
    const opened = await openDriver(pair.devicePath);
    const sensor = opened.sensor;
    const link = opened.link();
    await waitFor(() => link.isOpen, "the link to open");
    const emulator = await rig.emulator();
    await emulator.write(Buffer.from("T=18\r\n"));
    expect(values(await sensor.read(AbortSignal.timeout(2000)))).toStrictEqual({ temperature: 18 });

    await pair.stop();
    await emulator.close();
    await waitFor(() => !link.isOpen && link.failure, "the link to go down");
    await expect(sensor.read(AbortSignal.timeout(1000))).rejects.toThrow(
      `serial-line on ${pair.devicePath}: serial link down: serial ${pair.devicePath}:`,
    );
  });
});
