// BME280 / BMP280 emulators with the datasheet's calibration example, for the all-drivers e2e.
import { Bme280Emulator } from "../../fakes/chips/bme280.js";
import type { DriverFixture } from "../../helpers/driver-fixture.js";

/** The BMP280 datasheet's worked example (§8.2), and plausible BME280 humidity trimming. */
export const DATASHEET_CALIBRATION = {
  dig_T1: 27504,
  dig_T2: 26435,
  dig_T3: -1000,
  dig_P1: 36477,
  dig_P2: -10685,
  dig_P3: 3024,
  dig_P4: 2855,
  dig_P5: 140,
  dig_P6: -7,
  dig_P7: 15500,
  dig_P8: -14600,
  dig_P9: 6000,
};
export const HUMIDITY_CALIBRATION = { dig_H1: 75, dig_H2: 362, dig_H3: 0, dig_H4: 313, dig_H5: 50, dig_H6: 30 };

type I2cOptions = { bus: number; address: number };

export const fixtures: DriverFixture[] = [
  {
    driver: "bme280",
    attach(rig, o) {
      const { bus, address } = o as I2cOptions;
      const calibration = { ...DATASHEET_CALIBRATION, humidity: HUMIDITY_CALIBRATION };
      rig.i2c(bus).attach(address, new Bme280Emulator({ calibration, adc: { adcT: 519888, adcP: 415148, adcH: 27000 }, conversionMs: 1 }));
    },
    // adcT 519888 is the datasheet's 25.08 °C.
    expected: { temperature: 25.08, pressure: 1006.53 },
  },
  {
    driver: "bmp280",
    attach(rig, o) {
      const { bus, address } = o as I2cOptions;
      rig
        .i2c(bus)
        .attach(address, new Bme280Emulator({ chipId: 0x58, calibration: DATASHEET_CALIBRATION, adc: { adcT: 519888, adcP: 415148 }, conversionMs: 1 }));
    },
    expected: { temperature: 25.08 },
  },
];
