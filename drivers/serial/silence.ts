// Why a serial sensor's read timed out, in the words a Pi owner needs. Two cases look alike
// from outside ("read timed out") but have different fixes:
//   - nothing arrived: wiring (TX/RX swapped, no common ground) or no power;
//   - bytes arrived that never formed a frame: the Pi's serial console still owns the UART (the
//     commonest mistake: its output and login prompt are not sensor frames), or a wrong baud.
import type { Sensor } from "../types.js";

/** Counts the bytes received since the last good frame (or line). */
export class SilenceWatch {
  #bytes = 0;

  constructor(
    private readonly port: string,
    /** "PMS5003 frame", "line with a configured field", ... */
    private readonly frame: string,
  ) {}

  received(bytes: number): void {
    this.#bytes += bytes;
  }

  /** A good frame arrived, or the port was reopened. */
  reset(): void {
    this.#bytes = 0;
  }

  get bytes(): number {
    return this.#bytes;
  }

  diagnose: NonNullable<Sensor["diagnose"]> = () => {
    if (this.#bytes === 0) {
      return (
        `nothing arrived on ${this.port}: check the wiring (sensor TX to the Pi's RX, GPIO15; sensor RX to TX, GPIO14; ` +
        "a common ground; TX/RX swapped?) and the sensor's supply (most UART sensors need 5 V)"
      );
    }
    return (
      `${this.#bytes} bytes arrived on ${this.port} but no valid ${this.frame}: is the serial console still on serial0 ` +
      '("sudo raspi-config nonint do_serial_cons 1", then reboot)? wrong baud rate? 5 V supply?'
    );
  };
}
