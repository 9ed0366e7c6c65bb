import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { decodeRegister, i2cRegister, i2cRegisterConfigSchema } from "../../../drivers/i2c/i2c-register.js";
import { FakeI2cBus, RegisterChip } from "../../fakes/i2c-bus.js";
import { fakeI2cBusFactory } from "../../helpers/i2c-rig.js";

const log = pino({ level: "silent" });

describe("i2c-register", () => {
  const bytes = Buffer.from([0xff, 0x38, 0x01, 0x02]);

  it.each([
    [1, "big", false, 0xff],
    [1, "big", true, -1],
    [2, "big", false, 0xff38],
    [2, "big", true, -200],
    [2, "little", false, 0x38ff],
    [2, "little", true, 0x38ff],
    [4, "big", false, 0xff380102],
    [4, "big", true, 0xff380102 - 0x1_0000_0000],
    [4, "little", false, 0x020138ff],
  ] as const)("length %i %s-endian signed=%s → %i", (length, endianness, signed, expected) => {
    expect(decodeRegister(bytes, { length, endianness, signed })).toBe(expected);
  });

  it("reads the register through the bus and applies scale, offset, unit and name", async () => {
    const fake = new FakeI2cBus(1);
    const chip = new RegisterChip();
    // An LM75-style temperature register: 0x00 = 0xE7 0x00 → -25 °C at 1/256 °C per count.
    chip.registers[0x00] = 0xe7;
    chip.registers[0x01] = 0x00;
    fake.attach(0x48, chip);
    const bus = fakeI2cBusFactory(fake);
    const config = i2cRegisterConfigSchema.parse({ address: 0x48, register: 0, signed: true, scale: 1 / 256, offset: 0.5, unit: "°C", name: "temperature", decimals: 2 });
    const sensor = await i2cRegister.open(config, { bus, log, id: "t" });
    const fields = await sensor.read(AbortSignal.timeout(1000));
    expect(fields).toMatchObject([{ type: "numeric", name: "temperature", value: -24.5, unit: "°C", decimals: 2 }]);
    expect(fake.messages.slice(0, 2)).toMatchObject([
      { address: 0x48, op: "write", data: Buffer.from([0x00]) },
      { address: 0x48, op: "read", data: Buffer.from([0xe7, 0x00]) },
    ]);
    await sensor.close();
  });

  it("validates the config", () => {
    expect(i2cRegisterConfigSchema.safeParse({ address: 0x48, register: 0, length: 3 }).success).toBe(false);
    expect(i2cRegisterConfigSchema.safeParse({ address: 0x80, register: 0 }).success).toBe(false);
    expect(i2cRegisterConfigSchema.safeParse({ address: 0x48, register: 0, unit: "C" }).success).toBe(false);
    expect(i2cRegisterConfigSchema.parse({ address: 0x48, register: 0 })).toMatchObject({ length: 2, endianness: "big", signed: false, scale: 1, offset: 0, name: "value" });
  });
});
