// Every driver, by sensor-map name. Adding a driver (docs/adding-a-driver.md): one file, one test and its fixture, one line here.
import type { AnyDriverDefinition } from "./types.js";
import { simulated } from "./simulated.js";
import { pms5003 } from "./serial/pms5003.js";
import { mhz19 } from "./serial/mhz19.js";
import { serialLine } from "./serial/serial-line.js";
import { nmea } from "./serial/nmea.js";
import { ds18b20 } from "./kernel/ds18b20.js";
import { iio } from "./kernel/iio.js";
import { gpioInput } from "./gpio/gpio-input.js";
import { gpioCounter } from "./gpio/gpio-counter.js";
import { gpioOutput } from "./gpio/gpio-output.js";
import { bh1750 } from "./i2c/bh1750.js";
import { ads1115 } from "./i2c/ads1115.js";
import { i2cRegister } from "./i2c/i2c-register.js";
import { bme280, bmp280 } from "./i2c/bme280.js";
import { sht3x } from "./i2c/sht3x.js";
import { sht4x } from "./i2c/sht4x.js";

export const DRIVERS: readonly AnyDriverDefinition[] = [simulated, pms5003, ds18b20, iio, gpioInput, gpioCounter, gpioOutput, mhz19, serialLine, nmea, bh1750, ads1115, i2cRegister, bme280, bmp280, sht3x, sht4x];

export function findDriver(name: string): AnyDriverDefinition | undefined {
  return DRIVERS.find((d) => d.name === name);
}

export function driverNames(): string[] {
  return DRIVERS.map((d) => d.name);
}
