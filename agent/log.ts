// One root logger. JSON lines on stdout (journald picks them up); the password is redacted
// wherever it appears in a logged object.
import { pino, type Logger, type DestinationStream, type LevelWithSilent } from "pino";

export type { Logger };

export const REDACT_PATHS = [
  "password",
  "*.password",
  "xmpp.password",
  "config.xmpp.password",
  "credentials.password",
];

export function createLogger(
  level: LevelWithSilent = "info",
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
  };
  return destination ? pino(options, destination) : pino(options);
}
