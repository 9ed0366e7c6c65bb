// `thingd` command line: run | check | read | status | ... Exit codes: 0 ok, 1 failure (e.g. a
// sensor did not read), 64 usage, 78 invalid config (systemd's RestartPreventExitStatus keeps it
// from looping). Usage texts: ./commands/help.ts.
import { parseArgs } from "node:util";
import { pino, type LevelWithSilent } from "pino";
import { EXIT_OK, EXIT_USAGE } from "./errors.js";
import { COMMAND_HELP, DEFAULT_CONFIG, USAGE } from "./commands/help.js";
import { createLogger, logFormatFor, type LogFormat } from "./log.js";
import { VERSION } from "./version.js";
import type { Io } from "./commands/io.js";
// Commands are imported when run: `thingd run` (the service) should not load what only the
// other commands need (start-up time and RSS are measured by `npm run bench`, docs/benchmarks.md).

export { DEFAULT_CONFIG, USAGE };

const stdio: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  // `logs` hands its options to journalctl.
  if (argv[0] === "logs") return (await import("./commands/logs.js")).logsCommand(argv.slice(1), io);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c", default: DEFAULT_CONFIG },
        "log-level": { type: "string", default: "info" },
        "log-format": { type: "string" },
        json: { type: "boolean", default: false },
        listen: { type: "string" },
        outputs: { type: "boolean", default: false },
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
  const command = positionals[0];
  if (values.help) return io.out((command && COMMAND_HELP[command]) || USAGE), EXIT_OK;
  if (values.version) return io.out(VERSION), EXIT_OK;
  const level = values["log-level"] as LevelWithSilent;
  if (!["trace", "debug", "info", "warn", "error", "fatal", "silent"].includes(level)) {
    io.err(`thingd: --log-level: expected one of trace debug info warn error fatal silent, got "${level}"`);
    return EXIT_USAGE;
  }
  const format = values["log-format"];
  if (format !== undefined && format !== "json" && format !== "pretty") {
    io.err(`thingd: --log-format: expected json or pretty, got "${format}"`);
    return EXIT_USAGE;
  }
  const asked = format as LogFormat | undefined;
  const file = values.config;

  switch (command) {
    case "check":
      return (await import("./commands/check.js")).checkCommand({ config: file }, io);
    case "read": {
      // Logs go to stderr so stdout stays a clean table or JSON document; human lines unless
      // asked for JSON (this is a command for a person checking the wiring).
      const log = createLogger(values["log-level"] === "info" ? "warn" : level, pino.destination({ dest: 2, sync: true }), {
        format: asked ?? "pretty",
      });
      return (await import("./commands/read.js")).readCommand({ config: file, json: values.json, outputs: values.outputs, log }, io);
    }
    case "run": {
      const { loadForCommand } = await import("./commands/load-config.js");
      const config = await loadForCommand(file, io);
      if (typeof config === "number") return config;
      const { runDaemon } = await import("./daemon.js");
      const logFormat = logFormatFor(1, asked);
      return runDaemon(config, createLogger(level, undefined, { format: logFormat }));
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
    case "console":
      return (await import("./commands/console.js")).consoleCommand({ listen: values.listen }, io);
    case undefined:
      io.err(USAGE);
      return EXIT_USAGE;
    default:
      io.err(`thingd: unknown command "${command}"\n\n${USAGE}`);
      return EXIT_USAGE;
  }
}
