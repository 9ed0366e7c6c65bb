// A plain register file holding 0x0B80 at the example's register, for the all-drivers e2e.
import { RegisterChip } from "../../fakes/i2c-bus.js";
import type { DriverFixture } from "../../helpers/driver-fixture.js";

export const fixtures: DriverFixture[] = [
  {
    driver: "i2c-register",
    attach(rig, o) {
      const { bus, address, register } = o as { bus: number; address: number; register: number };
      const chip = new RegisterChip();
      chip.registers.writeUInt16BE(0x0b80, register); // 2944 counts: 23.0 °C at 0.0078125 °C/LSB
      rig.i2c(bus).attach(address, chip);
    },
    expected: { temperature: 23 },
  },
];
