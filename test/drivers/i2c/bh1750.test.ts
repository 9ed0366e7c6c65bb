import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { bh1750, bh1750ConfigSchema, decodeIlluminance } from "../../../drivers/i2c/bh1750.js";
import { Bh1750Emulator } from "../../fakes/chips/bh1750.js";
import { FakeI2cBus } from "../../fakes/i2c-bus.js";
import { fakeI2cBusFactory, openOnFakeI2c } from "../../helpers/i2c-rig.js";
import { values } from "../../helpers/values.js";

const log = pino({ level: "silent" });

function setup(address = 0x23) {
  const fake = new FakeI2cBus(1);
  const chip = new Bh1750Emulator();
  fake.attach(address, chip);
  const bus = fakeI2cBusFactory(fake, { timeoutMs: 200 });
  return { fake, chip, ctx: { bus, log, id: "light" } };
}

describe("bh1750", () => {
  it("decodes the 2-byte result (High byte first) as count / 1.2 lx", () => {
    expect(decodeIlluminance(Buffer.from([0x02, 0x58]))).toBe(500); // 600 counts
    expect(decodeIlluminance(Buffer.from([0xff, 0xff]))).toBeCloseTo(54612.5, 1);
    expect(decodeIlluminance(Buffer.from([0x02, 0x58]), "high2")).toBe(250);
    expect(() => decodeIlluminance(Buffer.from([1]))).toThrow("expected 2 bytes");
  });

  it("powers on, starts a one-time H-resolution measurement, waits, reads lx", async () => {
    const { chip, ctx } = setup();
    chip.lux = 321.5;
    const sensor = await bh1750.open(bh1750ConfigSchema.parse({}), ctx);
    const fields = await sensor.read(AbortSignal.timeout(2000));
    expect(chip.commands).toStrictEqual([0x01, 0x20]);
    expect(fields).toMatchObject([{ type: "numeric", name: "illuminance", unit: "lx", decimals: 1 }]);
    expect((fields[0] as { value: number }).value).toBeCloseTo(Math.round(321.5 * 1.2) / 1.2, 6);
    chip.lux = 10;
    const again = await sensor.read(AbortSignal.timeout(2000));
    expect((again[0] as { value: number }).value).toBeCloseTo(10, 6);
    await sensor.close();
  });

  it("works at the alternate address 0x5C and fails clearly when nothing answers", async () => {
    const { chip, ctx } = setup(0x5c);
    chip.lux = 1000;
    const ok = await bh1750.open(bh1750ConfigSchema.parse({ address: 0x5c }), ctx);
    expect((await ok.read(AbortSignal.timeout(2000)))[0]).toMatchObject({ value: 1000 });
    const missing = await bh1750.open(bh1750ConfigSchema.parse({ address: 0x23 }), ctx);
    await expect(missing.read(AbortSignal.timeout(2000))).rejects.toMatchObject({ code: "ENXIO" });
  });

  it("reads lx at the address its config names (the example in docs/adding-a-driver.md)", async () => {
    const chip = new Bh1750Emulator();
    chip.lux = 500;
    const { sensor, fake } = await openOnFakeI2c(bh1750, chip, { address: 0x5c });
    expect(values(await sensor.read(AbortSignal.timeout(2000)))).toStrictEqual({ illuminance: 500 });
    expect(fake.messages.map((m) => m.op)).toStrictEqual(["write", "write", "read"]);
  });

  it("rejects other addresses", () => {
    expect(bh1750ConfigSchema.safeParse({ address: 0x24 }).success).toBe(false);
  });
});
