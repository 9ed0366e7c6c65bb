// `thingd scan-i2c`: the i2cdetect grid, the probing rules over a fake bus, and the messages
// of the bus layer when the adapter is off or i2c-bus is not installed (no hardware needed).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatI2cGrid, probeI2c, scanI2cCommand } from "../../../agent/commands/scan-i2c.js";
import { I2C_NOT_INSTALLED, openI2cBus } from "../../../drivers/bus/i2c.js";
import type { I2cBus } from "../../../drivers/bus/types.js";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const errno = (code: string) => Object.assign(new Error(code), { code });

/** Devices at `present`, kernel-owned `busy`; records which call probed each address. */
function fakeBus(present: number[], busy: number[] = [], quickError?: string) {
  const calls = new Map<number, string>();
  let closed = false;
  const answer = (address: number, how: string) => {
    calls.set(address, how);
    if (busy.includes(address)) return Promise.reject(errno("EBUSY"));
    return present.includes(address) ? Promise.resolve() : Promise.reject(errno("EREMOTEIO"));
  };
  const bus: I2cBus = {
    receiveByte: (a) => answer(a, "read").then(() => 0),
    writeQuick: (a) => (quickError ? Promise.reject(errno(quickError)) : answer(a, "quick")),
    close: async () => {
      closed = true;
    },
  };
  return { bus, calls, closed: () => closed };
}

describe("formatI2cGrid", () => {
  it("prints i2cdetect's grid: blanks outside 0x03-0x77, -- nobody, hex found, UU busy", () => {
    expect(formatI2cGrid([0x03, 0x48, 0x76, 0x77], { busy: [0x3c] })).toBe(
      [
        "     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f",
        "00:          03 -- -- -- -- -- -- -- -- -- -- -- --",
        "10: -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- --",
        "20: -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- --",
        "30: -- -- -- -- -- -- -- -- -- -- -- -- UU -- -- --",
        "40: -- -- -- -- -- -- -- -- 48 -- -- -- -- -- -- --",
        "50: -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- --",
        "60: -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- --",
        "70: -- -- -- -- -- -- 76 77",
      ].join("\n"),
    );
  });
});

describe("probeI2c", () => {
  it("reads at 0x30-0x37 and 0x50-0x5f, quick-writes elsewhere, like i2cdetect", async () => {
    const { bus, calls } = fakeBus([0x50, 0x76], [0x3c]);
    expect(await probeI2c(bus)).toStrictEqual({ found: [0x50, 0x76], busy: [0x3c] });
    expect(calls.size).toBe(0x77 - 0x03 + 1);
    expect([0x30, 0x37, 0x50, 0x5f].map((a) => calls.get(a))).toStrictEqual(["read", "read", "read", "read"]);
    expect([0x03, 0x2f, 0x38, 0x4f, 0x60, 0x77].map((a) => calls.get(a))).toStrictEqual(["quick", "quick", "quick", "quick", "quick", "quick"]);
  });

  it("falls back to reads when the adapter has no quick command", async () => {
    const { bus, calls } = fakeBus([0x03, 0x48], [], "EOPNOTSUPP");
    expect((await probeI2c(bus)).found).toStrictEqual([0x03, 0x48]);
    expect([...calls.values()].every((how) => how === "read")).toBe(true);
  });

  it("stops on an error that makes the scan meaningless", async () => {
    const bus: I2cBus = { receiveByte: () => Promise.reject(errno("EACCES")), writeQuick: () => Promise.reject(errno("EACCES")), close: async () => {} };
    await expect(probeI2c(bus)).rejects.toMatchObject({ code: "EACCES" });
  });
});

describe("thingd scan-i2c", () => {
  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
  }

  it("scans bus 1 by default, prints the grid, closes the bus", async () => {
    const fake = fakeBus([0x76]);
    const opened: number[] = [];
    const c = capture();
    expect(await scanI2cCommand({}, c.io, async (n) => (opened.push(n), fake.bus))).toBe(0);
    expect(opened).toStrictEqual([1]);
    expect(c.out[0]).toContain("70: -- -- -- -- -- -- 76 --");
    expect(c.err[0]).toBe("1 device on /dev/i2c-1");
    expect(fake.closed()).toBe(true);
  });

  it("exit 1 with the bus layer's message when the bus can't be opened; 64 on a bad number", async () => {
    const c = capture();
    expect(await scanI2cCommand({ bus: "3" }, c.io, () => Promise.reject(new Error("/dev/i2c-3 not found: ...")))).toBe(1);
    expect(c.err[0]).toBe("thingd: /dev/i2c-3 not found: ...");
    expect(await scanI2cCommand({ bus: "one" }, capture().io)).toBe(64);
  });
});

describe("openI2cBus", () => {
  async function devDir(...nodes: string[]) {
    const dir = await mkdtemp(path.join(tmpdir(), "thingd-dev-"));
    dirs.push(dir);
    for (const n of nodes) await writeFile(path.join(dir, n), "");
    return dir;
  }

  it("says how to enable I2C when the adapter's device node is missing, before loading i2c-bus", async () => {
    const dir = await devDir();
    let loaded = false;
    const load = async () => ((loaded = true), {});
    await expect(openI2cBus(1, { devDir: dir, load })).rejects.toThrow(
      `${dir}/i2c-1 not found: enable I2C with "sudo raspi-config nonint do_i2c 0" and reboot`,
    );
    expect(loaded).toBe(false);
    await expect(openI2cBus(1, { devDir: await devDir("i2c-20") })).rejects.toThrow(/\(present: .*\/i2c-20\)$/);
  });

  it("says how to install i2c-bus when the module is missing", async () => {
    const dir = await devDir("i2c-1");
    // A loader failing the way Node does when the package is absent (a board where the
    // native build failed and the package was removed).
    const absent = () =>
      Promise.reject(Object.assign(new Error("Cannot find package 'i2c-bus' imported from thingd"), { code: "ERR_MODULE_NOT_FOUND" }));
    await expect(openI2cBus(1, { devDir: dir, load: absent })).rejects.toThrow(I2C_NOT_INSTALLED);
    expect(I2C_NOT_INSTALLED).toBe('i2c-bus is not installed: run "npm install i2c-bus" (needs build-essential)');
  });

  it("adapts i2c-bus's promisified bus and names errno codes", async () => {
    const dir = await devDir("i2c-1");
    const native = Object.assign(new Error("Remote I/O error"), { errno: 121 }); // no string code, as native errors may be
    const mod = {
      openPromisified: async (n: number) => {
        expect(n).toBe(1);
        return {
          receiveByte: async (a: number) => (a === 0x48 ? 0x12 : Promise.reject(native)),
          writeQuick: async () => ({}),
          close: async () => {},
        };
      },
    };
    const bus = await openI2cBus(1, { devDir: dir, load: async () => ({ default: mod }) });
    expect(await bus.receiveByte(0x48)).toBe(0x12);
    await expect(bus.writeQuick(0x48, 0)).resolves.toBeUndefined();
    await expect(bus.receiveByte(0x10)).rejects.toMatchObject({ code: "EREMOTEIO" });
  });
});
