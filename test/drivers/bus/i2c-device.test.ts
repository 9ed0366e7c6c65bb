import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { createBusFactory } from "../../../drivers/bus/index.js";
import { openI2cDevice, realBusOpener, type OpenBus } from "../../../drivers/bus/i2c-device.js";
import { FakeI2cBus, RegisterChip } from "../../fakes/i2c-bus.js";

const log = pino({ level: "silent" });

/** A fresh fake adapter and its opener (each opener has its own lock map entry). */
function setup() {
  const fake = new FakeI2cBus(1);
  fake.attach(0x10, new RegisterChip()).attach(0x20, new RegisterChip());
  const openBus = vi.fn<OpenBus>(async () => fake);
  return { fake, openBus };
}

describe("openI2cDevice", () => {
  it("serialises transactions of different chips on one bus (message order is never interleaved)", async () => {
    const { fake, openBus } = setup();
    const a = openI2cDevice({ bus: 1, address: 0x10 }, log, { openBus });
    const b = openI2cDevice({ bus: 1, address: 0x20 }, log, { openBus });
    const txn = (reg: number) => async (raw: Parameters<Parameters<typeof a.transaction>[0]>[0]) => {
      await raw.writeBlock(reg, Buffer.from([1, 2]));
      await raw.sleep(5);
      await raw.i2cWrite(Buffer.from([reg]));
      return raw.readBlock(reg, 2);
    };
    const results = await Promise.all([a.transaction(txn(0x01)), b.transaction(txn(0x02)), a.transaction(txn(0x03)), b.transaction(txn(0x04))]);
    expect(results.map((r) => [...r])).toStrictEqual([
      [1, 2],
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    // 4 messages per transaction (write, write, write, read), in call order, never mixed.
    expect(fake.messages.map((m) => m.address)).toStrictEqual([
      ...Array(4).fill(0x10),
      ...Array(4).fill(0x20),
      ...Array(4).fill(0x10),
      ...Array(4).fill(0x20),
    ]);
    expect(openBus).toHaveBeenCalledTimes(1); // one adapter handle shared
    await a.close();
    expect(fake.closed).toBe(false);
    await b.close();
    expect(fake.closed).toBe(true);
  });

  it("a failed transaction releases the lock", async () => {
    const { openBus } = setup();
    const a = openI2cDevice({ bus: 1, address: 0x10 }, log, { openBus });
    await expect(a.transaction(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(a.transaction((raw) => raw.readByte(0))).resolves.toBe(0);
  });

  it("times out a hanging chip, then still serves another chip on the bus", async () => {
    const { fake, openBus } = setup();
    fake.hang(0x10);
    const a = openI2cDevice({ bus: 1, address: 0x10 }, log, { openBus, timeoutMs: 50 });
    const b = openI2cDevice({ bus: 1, address: 0x20 }, log, { openBus, timeoutMs: 50 });
    const hung = a.transaction((raw) => raw.readBlock(0x00, 2));
    const next = b.transaction((raw) => raw.readBlock(0x00, 2));
    await expect(hung).rejects.toMatchObject({ code: "ETIMEDOUT", message: "i2c-1 0x10: readBlock(0x00, 2) timed out after 50 ms" });
    await expect(next).resolves.toStrictEqual(Buffer.from([0, 0]));
  });

  it("retries EREMOTEIO with backoff, then succeeds", async () => {
    const { fake, openBus } = setup();
    const spy = vi.spyOn(fake, "readI2cBlock");
    fake.failNext(0x10, 2, "EREMOTEIO");
    const a = openI2cDevice({ bus: 1, address: 0x10 }, log, { openBus, retryDelayMs: 1 });
    await expect(a.transaction((raw) => raw.readBlock(0x00, 1))).resolves.toStrictEqual(Buffer.from([0]));
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it("retries EIO too, and fails clearly once the retries are exhausted", async () => {
    const { fake, openBus } = setup();
    const spy = vi.spyOn(fake, "writeByte");
    fake.failNext(0x10, 100, "EREMOTEIO");
    const a = openI2cDevice({ bus: 1, address: 0x10 }, log, { openBus, retryDelayMs: 1 });
    const err = await a.transaction((raw) => raw.writeByte(0xf4, 0x27)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^i2c-1 0x10: EREMOTEIO after 3 retries: writeByte\(0xf4\)/);
    expect((err as { code?: string }).code).toBe("EREMOTEIO");
    expect(spy).toHaveBeenCalledTimes(4);

    fake.failNext(0x20, 1, "EIO");
    const b = openI2cDevice({ bus: 1, address: 0x20 }, log, { openBus, retryDelayMs: 1 });
    await expect(b.transaction((raw) => raw.readByte(0))).resolves.toBe(0);
  });

  it("does not retry ENXIO (nobody at that address)", async () => {
    const { fake, openBus } = setup();
    const spy = vi.spyOn(fake, "readI2cBlock");
    const c = openI2cDevice({ bus: 1, address: 0x76 }, log, { openBus, retryDelayMs: 1 });
    await expect(c.transaction((raw) => raw.readBlock(0xd0, 1))).rejects.toMatchObject({
      code: "ENXIO",
      message: expect.stringMatching(/^i2c-1 0x76: readBlock\(0xd0, 1\): no chip acknowledged at 0x76/),
    });
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("an abort while waiting for the lock gives up without letting the next one in early", async () => {
    const { fake, openBus } = setup();
    const a = openI2cDevice({ bus: 1, address: 0x10 }, log, { openBus });
    const b = openI2cDevice({ bus: 1, address: 0x20 }, log, { openBus });
    const first = a.transaction(async (raw) => {
      await raw.sleep(30);
      return raw.readByte(0);
    });
    const controller = new AbortController();
    const aborted = b.transaction((raw) => raw.readByte(0), controller.signal);
    const third = b.transaction((raw) => raw.readByte(1));
    controller.abort(new Error("read timeout"));
    await expect(aborted).rejects.toThrow("read timeout");
    await expect(first).resolves.toBe(0);
    await expect(third).resolves.toBe(0);
    expect(fake.messages.map((m) => m.address)).toStrictEqual([0x10, 0x10, 0x20, 0x20]);
  });

  it("keeps separate locks per bus number, and reopens after a failed open", async () => {
    const fakes = new Map([1, 3].map((n) => [n, new FakeI2cBus(n).attach(0x10, new RegisterChip())]));
    let fail = true;
    const openBus: OpenBus = async (n) => {
      if (fail) throw Object.assign(new Error(`/dev/i2c-${n}: No such file or directory`), { code: "ENOENT" });
      return fakes.get(n)!;
    };
    const a = openI2cDevice({ bus: 1, address: 0x10 }, log, { openBus });
    await expect(a.transaction((raw) => raw.readByte(0))).rejects.toMatchObject({ code: "ENOENT" });
    fail = false;
    await expect(a.transaction((raw) => raw.readByte(0))).resolves.toBe(0);
    const c = openI2cDevice({ bus: 3, address: 0x10 }, log, { openBus });
    await c.transaction((raw) => raw.writeByte(0, 1));
    expect(fakes.get(3)!.messages).toHaveLength(1);
    expect(fakes.get(1)!.messages).toHaveLength(2);
  });

  it("is what createBusFactory hands to drivers", async () => {
    const { fake, openBus } = setup();
    const bus = createBusFactory({ i2cOpenBus: openBus });
    const dev = bus.i2c!({ bus: 1, address: 0x20 }, log);
    await dev.transaction((raw) => raw.writeBlock(0x05, Buffer.from([0xab, 0xcd])));
    expect(await dev.transaction((raw) => raw.readBlock(0x05, 2))).toStrictEqual(Buffer.from([0xab, 0xcd]));
    expect(fake.messages[0]).toMatchObject({ address: 0x20, op: "write", data: Buffer.from([0x05, 0xab, 0xcd]) });
    await dev.close();
  });
});

describe("realBusOpener", () => {
  it("says how to install i2c-bus when the module is missing", async () => {
    const missing = Object.assign(new Error("Cannot find package 'i2c-bus' imported from /x.js"), { code: "ERR_MODULE_NOT_FOUND" });
    const open = realBusOpener(async () => Promise.reject(missing));
    await expect(open(1)).rejects.toThrow('i2c-bus is not installed: run "npm install i2c-bus" (needs build-essential)');
    const dev = openI2cDevice({ bus: 1, address: 0x23 }, log, { openBus: open });
    await expect(dev.transaction((raw) => raw.i2cRead(2))).rejects.toThrow(/^i2c-1 0x23: i2cRead\(2\): i2c-bus is not installed/);
  });

  it("tells a broken build apart, and opens through a CommonJS default export", async () => {
    const broken = realBusOpener(async () => Promise.reject(new Error("Could not locate the bindings file")));
    await expect(broken(1)).rejects.toThrow(/cannot load the i2c-bus module: Could not locate the bindings file \(reinstall it: "npm rebuild i2c-bus"/);
    const fake = new FakeI2cBus(1);
    const calls: unknown[] = [];
    const open = realBusOpener(async () => ({ default: { openPromisified: async (...args: unknown[]) => (calls.push(args), fake) } }));
    await expect(open(1)).resolves.toBe(fake);
    expect(calls).toStrictEqual([[1, { forceAccess: false }]]);
  });

  it("rejects block transfers beyond the SMBus 32-byte limit", async () => {
    const { openBus } = setup();
    const a = openI2cDevice({ bus: 1, address: 0x10 }, log, { openBus });
    await expect(a.transaction((raw) => raw.readBlock(0, 33))).rejects.toThrow("readBlock length 33: expected 1-32");
  });
});
