import { FakeLink } from "../../fakes/serial-link.js";
import { busWith } from "../../helpers/bus.js";
import { usePtyRig } from "../../helpers/pty-rig.js";
import { values } from "../../helpers/values.js";
import { waitFor } from "../../helpers/wait-for.js";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  formatNmeaSentence,
  nmea,
  nmeaChecksum,
  NmeaChecksumError,
  NmeaState,
  parseNmeaSentence,
} from "../../../drivers/serial/nmea.js";

const silent = pino({ level: "silent" });

// Well-known sentences with their published checksums (NMEA 0183 examples, u-blox M8 manual).
const GGA = "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47";
const RMC = "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A";
const GNGGA = "$GNGGA,001043.00,4404.14036,N,12118.85961,W,1,12,0.98,1113.0,M,-21.3,M,,*47";
const GGA_NO_FIX = "$GPGGA,,,,,,0,00,99.99,,,,,,*48";
const RMC_NO_FIX = "$GPRMC,,V,,,,,,,,,,N*53";
const GLRMC_SOUTH = "$GLRMC,225446,A,3751.65,S,14507.36,E,000.5,054.7,191194,020.3,E*72";


describe("parseNmeaSentence", () => {
  it("parses GGA", () => {
    expect(parseNmeaSentence(GGA)).toStrictEqual({
      type: "GGA", talker: "GP", quality: 1, fix: true, satellites: 8, latitude: 48.1173, longitude: 11.516667, altitude: 545.4,
    });
    expect(parseNmeaSentence(`${GNGGA}\r`)).toStrictEqual({
      type: "GGA", talker: "GN", quality: 1, fix: true, satellites: 12, latitude: 44.069006, longitude: -121.314327, altitude: 1113,
    });
  });

  it("parses RMC, with S negative and knots → km/h", () => {
    expect(parseNmeaSentence(RMC)).toStrictEqual({ type: "RMC", talker: "GP", fix: true, latitude: 48.1173, longitude: 11.516667, speed: 41.5 });
    expect(parseNmeaSentence(GLRMC_SOUTH)).toStrictEqual({
      type: "RMC", talker: "GL", fix: true, latitude: -37.860833, longitude: 145.122667, speed: 0.9,
    });
  });

  it("returns no position without a fix", () => {
    expect(parseNmeaSentence(GGA_NO_FIX)).toStrictEqual({ type: "GGA", talker: "GP", quality: 0, fix: false, satellites: 0 });
    expect(parseNmeaSentence(RMC_NO_FIX)).toStrictEqual({ type: "RMC", talker: "GP", fix: false });
    // A receiver repeating its last position with status V: still no position.
    expect(parseNmeaSentence(formatNmeaSentence("GPRMC,123519,V,4807.038,N,01131.000,E,0.0,,230394,,"))).toStrictEqual({
      type: "RMC", talker: "GP", fix: false,
    });
  });

  it("rejects bad or missing checksums", () => {
    expect(() => parseNmeaSentence(GGA.replace("*47", "*48"))).toThrow(NmeaChecksumError);
    expect(() => parseNmeaSentence(GGA.replace("545.4", "545.5"))).toThrow("nmea: bad checksum: sentence says 47, characters give 46");
    expect(() => parseNmeaSentence(GGA.slice(0, -3))).toThrow(NmeaChecksumError);
    expect(nmeaChecksum(GGA.slice(1, -3))).toBe(0x47);
    expect(formatNmeaSentence(RMC.slice(1, -3))).toBe(RMC);
  });

  it("ignores other sentence types and throws on malformed coordinates", () => {
    expect(parseNmeaSentence(formatNmeaSentence("GPGSV,1,1,00"))).toBeUndefined();
    expect(parseNmeaSentence(formatNmeaSentence("PUBX,00"))).toBeUndefined();
    expect(() => parseNmeaSentence(formatNmeaSentence("GPGGA,1,48x7.0,N,01131.000,E,1,08,0.9,545.4,M,,M,,"))).toThrow(
      'nmea: malformed coordinate "48x7.0"',
    );
  });
});

describe("NmeaState", () => {
  it("merges GGA and RMC into fields", () => {
    const s = new NmeaState(5000);
    s.onLine(GGA, 100);
    s.onLine(RMC, 101);
    expect(s.fresh(200).map((f) => [f.name, f.value, f.type === "numeric" ? [f.unit, f.decimals] : []])).toStrictEqual([
      ["fix", true, []],
      ["latitude", 48.1173, ["°", 6]],
      ["longitude", 11.516667, ["°", 6]],
      ["altitude", 545.4, ["m", 1]],
      ["satellites", 8, ["", 0]],
      ["speed", 41.5, ["km/h", 1]],
    ]);
  });

  it("drops the position when the fix is lost, counts bad checksums, forgets stale sentences", () => {
    const s = new NmeaState(1000);
    s.onLine(GGA, 0);
    s.onLine(GGA_NO_FIX, 10);
    s.onLine(RMC.replace("*6A", "*00"), 20);
    s.onLine("garbage", 30);
    expect(values(s.fresh(50))).toStrictEqual({ fix: false, satellites: 0 });
    expect(s.badChecksums).toBe(1);
    expect(s.fresh(2000)).toStrictEqual([]);
  });
});


describe("nmea sensor", () => {
  it("applies defaults and waits for a sentence", async () => {
    expect(nmea.configSchema.parse({ port: "/dev/ttyACM0" })).toStrictEqual({ port: "/dev/ttyACM0", baud: 9600, stale_after_ms: 5000 });
    const link = new FakeLink();
    const sensor = await nmea.open(nmea.configSchema.parse({ port: "/dev/fake0" }), { bus: busWith({ serial: () => link }), log: silent, id: "gps" });
    const pending = sensor.read(AbortSignal.timeout(2000));
    link.feed(`${RMC_NO_FIX}\r\n`);
    expect(values(await pending)).toStrictEqual({ fix: false });
    await sensor.close();
  });
});


describe("nmea over a real pty (socat)", () => {
  const rig = usePtyRig("thingd-nmea-");

  function openDriver(port: string) {
    return rig.open(nmea, { port }, "gps", silent);
  }

  it("reads a receiver's GGA/RMC stream, from no fix to a fix", async () => {
    const pair = await rig.plug();
    const opened = await openDriver(pair.devicePath);
    const sensor = opened.sensor;
    await waitFor(() => opened.link().isOpen, "the link to open");
    const emulator = await rig.emulator();

    const pending = sensor.read(AbortSignal.timeout(3000));
    await emulator.writeInPieces(Buffer.from(`${GGA_NO_FIX}\r\n${RMC_NO_FIX}\r\n`), 7);
    expect(values(await pending).fix).toBe(false);

    await emulator.writeInPieces(Buffer.from(`$GPGSV,1,1,0\r\n${RMC.replace("*6A", "*6B")}\r\n${GGA}\r\n${RMC}\r\n`), 16);
    const s = sensor;
    const v = await waitFor(async () => {
      const got = values(await s.read(AbortSignal.timeout(1000)));
      return got.speed !== undefined ? got : undefined;
    }, "a fix with speed");
    expect(v).toStrictEqual({ fix: true, latitude: 48.1173, longitude: 11.516667, altitude: 545.4, satellites: 8, speed: 41.5 });
  });

  it("rejects a read naming the failure after an unplug", async () => {
    const pair = await rig.plug();
    const opened = await openDriver(pair.devicePath);
    const sensor = opened.sensor;
    const link = opened.link();
    await waitFor(() => link.isOpen, "the link to open");
    const emulator = await rig.emulator();
    await emulator.write(Buffer.from(`${GGA}\r\n`));
    expect(values(await sensor.read(AbortSignal.timeout(2000))).fix).toBe(true);

    await pair.stop();
    await emulator.close();
    await waitFor(() => !link.isOpen && link.failure, "the link to go down");
    await expect(sensor.read(AbortSignal.timeout(1000))).rejects.toThrow(
      `nmea on ${pair.devicePath}: serial link down: serial ${pair.devicePath}:`,
    );
  });
});
