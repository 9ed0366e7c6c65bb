// The real buses, handed to drivers through DriverContext. Hardware modules load lazily on
// first open, so importing this costs nothing on machines without them.
import { openSerialLink, type SerialBackoff } from "./serial.js";
import type { BusFactory } from "./types.js";

export interface BusFactoryOptions {
  /** Reopen timing of serial links; tests shorten it to see a replug within a second. */
  serialBackoff?: Partial<SerialBackoff>;
}

export function createBusFactory(options: BusFactoryOptions = {}): BusFactory {
  const { serialBackoff } = options;
  if (!serialBackoff) return { serial: openSerialLink };
  return { serial: (serial, log) => openSerialLink(serial, log, serialBackoff) };
}
