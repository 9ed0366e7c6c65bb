// SHT3x / SHT4x emulators for the all-drivers e2e.
import { ShtEmulator } from "../../fakes/chips/sht.js";
import type { DriverFixture } from "../../helpers/driver-fixture.js";

type I2cOptions = { bus: number; address: number };

/** 0x6666 is 25.0 °C on both parts (T = -45 + 175·S/65535). */
const sht = (kind: "sht3x" | "sht4x"): DriverFixture => ({
  driver: kind,
  attach(rig, o) {
    const { bus, address } = o as I2cOptions;
    rig.i2c(bus).attach(address, new ShtEmulator({ kind, rawT: 0x6666, rawRH: 0x8000 }));
  },
  expected: { temperature: 25 },
});

export const fixtures: DriverFixture[] = [sht("sht3x"), sht("sht4x")];
