// A GPS receiver streaming GGA and RMC on a pty, for the all-drivers e2e.
import { formatNmeaSentence } from "../../../drivers/serial/nmea.js";
import type { DriverFixture } from "../../helpers/driver-fixture.js";

const GGA = "GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,";
const RMC = "GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W";

export const fixtures: DriverFixture[] = [
  {
    driver: "nmea",
    async attach(rig) {
      return { port: await rig.streamingPort(() => Buffer.from(`${formatNmeaSentence(GGA)}\r\n${formatNmeaSentence(RMC)}\r\n`)) };
    },
    expected: { fix: true, satellites: 8, latitude: 48.1173, longitude: 11.516667 },
  },
];
