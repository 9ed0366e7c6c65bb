// Error classes named in logs (pino logs `err.type` from the constructor name).

/** A problem in the sensor map / config file. `path` is a key path like `sensors[2].every`. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    message: string,
    readonly problems: ConfigProblem[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ConfigProblem {
  file: string;
  line?: number;
  column?: number;
  path: string;
  message: string;
}

/** A sensor read or open failed. */
export class DriverError extends Error {
  override name = "DriverError";
  constructor(
    message: string,
    readonly sensor: string,
    readonly driver: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Conditions of RFC 6120 §8.3.3 that we send. */
export type StanzaCondition =
  | "bad-request"
  | "conflict"
  | "feature-not-implemented"
  | "forbidden"
  | "internal-server-error"
  | "item-not-found"
  | "not-allowed"
  | "resource-constraint"
  | "service-unavailable";

export type StanzaErrorType = "cancel" | "modify" | "wait" | "auth" | "continue";

/** A request we refuse, carrying the XMPP condition to answer with. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
  constructor(
    readonly condition: StanzaCondition,
    message: string,
    readonly type: StanzaErrorType = defaultErrorType(condition),
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function defaultErrorType(condition: StanzaCondition): StanzaErrorType {
  return condition === "bad-request" ? "modify" : "cancel";
}

/** Exit codes (sysexits.h); 78 = EX_CONFIG, also named in systemd's RestartPreventExitStatus. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 64;
export const EXIT_CONFIG = 78;
