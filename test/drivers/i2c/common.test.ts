// The pieces every I2C driver shares: the bus/address keys of its config and its error context.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { hex } from "../../../drivers/hex.js";
import { chipLabel, i2cAddressOneOf, i2cAddressRange, i2cBusSchema, withContext } from "../../../drivers/i2c/common.js";

const message = (schema: z.ZodType, value: unknown) => schema.safeParse(value).error?.issues[0]?.message;

describe("I2C config keys", () => {
  it("bus defaults to 1 (the header's /dev/i2c-1) and takes no negative or fractional number", () => {
    expect(i2cBusSchema.parse(undefined)).toBe(1);
    expect(i2cBusSchema.parse(20)).toBe(20);
    expect(i2cBusSchema.safeParse(-1).success).toBe(false);
    expect(i2cBusSchema.safeParse(1.5).success).toBe(false);
  });

  it("a fixed-address chip defaults to its first address and names the choices in both bases", () => {
    const address = i2cAddressOneOf([0x23, 0x5c]);
    expect(address.parse(undefined)).toBe(0x23);
    expect(address.parse(0x5c)).toBe(0x5c);
    expect(message(address, 0x24)).toBe("expected address 0x23 (35) or 0x5C (92)");
  });

  it("a range of addresses names its bounds in both bases", () => {
    expect(i2cAddressRange(0x48, 0x4b).parse(0x4a)).toBe(0x4a);
    expect(message(i2cAddressRange(0x48, 0x4b), 0x4c)).toBe("expected address 0x48-0x4B (72-75)");
    expect(message(i2cAddressRange(0x03, 0x77, "a 7-bit address"), 0x02)).toBe("expected a 7-bit address 0x03-0x77 (3-119)");
  });
});

describe("I2C error context", () => {
  it("prefixes the chip and keeps the errno code", () => {
    const where = chipLabel("sht3x", { bus: 1, address: 0x44 });
    expect(where).toBe("sht3x on i2c-1 at 0x44");
    const err = withContext(Object.assign(new Error("No such device or address"), { code: "ENXIO" }), where);
    expect(err.message).toBe("sht3x on i2c-1 at 0x44: No such device or address");
    expect((err as Error & { code?: string }).code).toBe("ENXIO");
    expect(withContext("plain text", where)).not.toHaveProperty("code");
  });

  it("hex pads to the digits asked for", () => {
    expect([hex(0x5), hex(0x2d0, 4), hex(0x1234)]).toStrictEqual(["0x05", "0x02d0", "0x1234"]);
  });
});
