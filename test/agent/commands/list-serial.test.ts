// `thingd list-serial`: links (serial0/serial1/by-id) resolved and joined with what serialport
// enumerates, over a fake /dev; and the table.
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatSerialPorts, listSerialCommand, NO_SERIAL_PORTS } from "../../../agent/commands/list-serial.js";
import { listSerialPorts } from "../../../drivers/bus/serial-list.js";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("listSerialPorts", () => {
  it("lists the Pi links and by-id links with their targets, then every port", async () => {
    const dev = await realpath(await mkdtemp(path.join(tmpdir(), "thingd-dev-")));
    dirs.push(dev);
    await writeFile(path.join(dev, "ttyAMA0"), "");
    await writeFile(path.join(dev, "ttyUSB0"), "");
    await symlink("ttyAMA0", path.join(dev, "serial0"));
    await symlink("ttyS0", path.join(dev, "serial1")); // dangling: skipped
    await mkdir(path.join(dev, "serial", "by-id"), { recursive: true });
    const byId = path.join(dev, "serial", "by-id", "usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0");
    await symlink("../../ttyUSB0", byId);
    const usb = { path: path.join(dev, "ttyUSB0"), manufacturer: "FTDI", serialNumber: "A50285BI", vendorId: "0403", productId: "6001" };
    const list = async () => [usb, { path: path.join(dev, "ttyAMA0") }];

    expect(await listSerialPorts({ devDir: dev, list })).toStrictEqual({
      entries: [
        { path: path.join(dev, "serial0"), target: path.join(dev, "ttyAMA0") },
        { path: byId, target: usb.path, manufacturer: "FTDI", serialNumber: "A50285BI", vendorId: "0403", productId: "6001" },
        { path: path.join(dev, "ttyAMA0") },
        { ...usb },
      ],
    });
    // Enumeration failing (no udevadm in a container) still lists the links.
    const failed = await listSerialPorts({ devDir: dev, list: () => Promise.reject(new Error("spawn udevadm ENOENT")) });
    expect(failed).toStrictEqual({
      entries: [
        { path: path.join(dev, "serial0"), target: path.join(dev, "ttyAMA0") },
        { path: byId, target: usb.path },
      ],
      error: "spawn udevadm ENOENT",
    });
  });

  it("works without any link", async () => {
    const dev = await mkdtemp(path.join(tmpdir(), "thingd-dev-"));
    dirs.push(dev);
    expect(await listSerialPorts({ devDir: dev, list: async () => [] })).toStrictEqual({ entries: [] });
  });
});

describe("formatSerialPorts / thingd list-serial", () => {
  it("prints path, link target, manufacturer, serial number and vid:pid", () => {
    expect(
      formatSerialPorts([
        { path: "/dev/serial0", target: "/dev/ttyAMA0" },
        { path: "/dev/ttyUSB0", manufacturer: "FTDI", serialNumber: "A50285BI", vendorId: "0403", productId: "6001" },
      ]),
    ).toBe(
      [
        "PATH          TARGET        MANUFACTURER  SERIAL    VID:PID",
        "/dev/serial0  /dev/ttyAMA0  -             -         -",
        "/dev/ttyUSB0  -             FTDI          A50285BI  0403:6001",
      ].join("\n"),
    );
    expect(formatSerialPorts([])).toBe(NO_SERIAL_PORTS);
  });

  it("exit 0 with the table or JSON, 1 when enumeration fails (links still shown)", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    expect(await listSerialCommand({ json: true }, io, async () => ({ entries: [{ path: "/dev/ttyACM0" }] }))).toBe(0);
    expect(JSON.parse(out[0]!)).toStrictEqual([{ path: "/dev/ttyACM0" }]);

    const partial = async () => ({ entries: [{ path: "/dev/serial0", target: "/dev/ttyAMA0" }], error: "spawn udevadm ENOENT" });
    expect(await listSerialCommand({}, io, partial)).toBe(1);
    expect(err[0]).toBe("thingd: cannot enumerate serial ports (spawn udevadm ENOENT); showing the links only");
    expect(out[1]).toMatch(/^PATH\s+TARGET/);
    expect(await listSerialCommand({}, io, () => Promise.reject(new Error("boom")))).toBe(1);
    expect(err[1]).toBe("thingd: cannot list serial ports: boom");
  });

  it("no udevadm and no links: the usual no-ports hint, not silence", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    expect(await listSerialCommand({}, io, async () => ({ entries: [], error: "spawn udevadm ENOENT" }))).toBe(1);
    expect(err).toStrictEqual(["thingd: cannot enumerate serial ports (spawn udevadm ENOENT); showing the links only"]);
    expect(out).toStrictEqual([NO_SERIAL_PORTS]);
  });
});
