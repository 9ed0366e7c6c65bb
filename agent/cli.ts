// `thingd` command line: run | check | read. Exit codes: 0 ok, 1 failure (e.g. a sensor did not
// read), 64 usage, 78 invalid config (systemd's RestartPreventExitStatus keeps it from looping).
import { parseArgs } from "node:util";
import { pino, type LevelWithSilent } from "pino";
import { ConfigError, EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./errors.js";
import { loadConfig } from "./config/load.js";
import type { ThingConfig } from "./config/types.js";
import { createLogger } from "./log.js";
import { VERSION } from "./version.js";
import { printConfigError, type Io } from "./commands/io.js";
// Commands are imported when run: `thingd run` (the service) should not load what only the
// other commands need (start-up time and RSS are measured by `npm run bench`, docs/benchmarks.md).

export const DEFAULT_CONFIG = "/etc/thingd/sensors.yaml";

export const USAGE = `thingd ${VERSION} — XMPP IoT Thing agent

Usage:
  thingd run   [-c FILE] [--log-level LEVEL]   connect, register, answer readouts (the service)
  thingd check [-c FILE]                       validate the sensor map; exit 0 or 78
  thingd read  [-c FILE] [--json]              read every sensor once, locally (no XMPP)
  thingd status [-c FILE] [--json]             the running daemon: XMPP, registry, sensors
  thingd claim  [-c FILE] [--json] [--svg F]   how the owner claims this Thing: iotdisco: URI + QR code, or who owns it;
                                               --svg F also writes a printable label (QR, JID, SN) to F
  thingd unregister [-c FILE]                  uninstall: <unregister/> to the Thing Registry, state UNREGISTERED (KEY kept)
  thingd schema                                print the sensor map's JSON Schema (for editors)
  thingd scan-i2c [BUS]                        addresses answering on /dev/i2c-BUS (default 1), like i2cdetect -y
  thingd list-serial [--json]                  serial ports and their stable names (/dev/serial0, by-id)
  thingd --version | --help

Options:
  -c, --config FILE     sensor map (default ${DEFAULT_CONFIG})
  --log-level LEVEL     trace | debug | info | warn | error | fatal | silent (default info)
  --json                machine-readable output for "read", "status", "claim" and "list-serial"

Exit codes: 0 ok; 1 runtime failure (read: a sensor failed; status: daemon not running);
2 status: running but degraded (offline or a sensor failing); 64 bad usage; 78 invalid config.
Environment: THINGD_PASSWORD overrides xmpp.password / xmpp.password_file.`;

const stdio: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c", default: DEFAULT_CONFIG },
        "log-level": { type: "string", default: "info" },
        json: { type: "boolean", default: false },
        svg: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "V", default: false },
      },
    });
  } catch (err) {
    io.err(`thingd: ${(err as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help) return io.out(USAGE), EXIT_OK;
  if (values.version) return io.out(VERSION), EXIT_OK;
  const command = positionals[0];
  const level = values["log-level"] as LevelWithSilent;
  if (!["trace", "debug", "info", "warn", "error", "fatal", "silent"].includes(level)) {
    io.err(`thingd: --log-level: expected one of trace debug info warn error fatal silent, got "${level}"`);
    return EXIT_USAGE;
  }
  const file = values.config;

  switch (command) {
    case "check": {
      const config = await load(file, io);
      if (!config) return EXIT_CONFIG;
      io.out(`${config.file}: OK (${config.sensors.length} sensor${config.sensors.length === 1 ? "" : "s"})`);
      for (const line of (await import("./commands/check-summary.js")).checkSummary(config)) io.out(line);
      return EXIT_OK;
    }
    case "read": {
      const config = await load(file, io);
      if (!config) return EXIT_CONFIG;
      // Logs go to stderr so stdout stays a clean table or JSON document.
      const log = createLogger(values["log-level"] === "info" ? "warn" : level, pino.destination(2));
      const { formatReadings, readAllOnce } = await import("./sensors/read-once.js");
      const readings = await readAllOnce(config, log);
      io.out(values.json ? JSON.stringify(readings, null, 2) : formatReadings(readings));
      return readings.every((r) => !r.error) ? EXIT_OK : EXIT_FAILURE;
    }
    case "run": {
      const config = await load(file, io);
      if (!config) return EXIT_CONFIG;
      const { runDaemon } = await import("./daemon.js");
      return runDaemon(config, createLogger(level));
    }
    case "status":
      return (await import("./commands/status.js")).statusCommand({ config: file, json: values.json }, io);
    case "claim":
      return (await import("./commands/claim.js")).claimCommand({ config: file, json: values.json, ...(values.svg !== undefined && { svg: values.svg }) }, io);
    case "unregister":
      return (await import("./commands/unregister.js")).unregisterCommand({ config: file }, io);
    case "schema":
      return (await import("./commands/schema.js")).schemaCommand({}, io);
    case "scan-i2c":
      return (await import("./commands/scan-i2c.js")).scanI2cCommand({ bus: positionals[1] }, io);
    case "list-serial":
      return (await import("./commands/list-serial.js")).listSerialCommand({ json: values.json }, io);
    case undefined:
      io.err(USAGE);
      return EXIT_USAGE;
    default:
      io.err(`thingd: unknown command "${command}"\n\n${USAGE}`);
      return EXIT_USAGE;
  }
}

/** Load and validate; on problems print every one (file:line:col path: message) and return undefined. */
async function load(file: string, io: Io): Promise<ThingConfig | undefined> {
  try {
    return await loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) {
      printConfigError(io, err);
      return undefined;
    }
    throw err;
  }
}
