// thingd-registry's command line: run, check, list, --help, --version.
import { parseArgs } from "node:util";
import type { LevelWithSilent } from "pino";
import { ConfigError, EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../agent/errors.js";
import { createLogger } from "../agent/log.js";
import { VERSION } from "../agent/version.js";
import { loadRegistryConfig } from "./config.js";
import { runDaemon } from "./daemon.js";
import { readState } from "./store/journal.js";
import { fromStored, isClaimed, recordKey } from "./store/record.js";

export const USAGE = `Usage: thingd-registry <command> [options]

A XEP-0347 Thing Registry, run next to the XMPP server as an external component (XEP-0114):
Things register with it; people claim them by IQ, by chat (paste the Thing's iotdisco: code
to the registry's JID) or by ad-hoc command.

Commands:
  run -c FILE      connect to the server and serve (systemd: Type=notify, watchdog)
  check -c FILE    validate the configuration file; exit 78 if it is wrong
  list -c FILE     print the registered Things from the state folder (--json for JSON lines)

Options:
  -c, --config FILE     the configuration (YAML: component.service, component.jid,
                        component.secret | secret_file | THINGD_REGISTRY_SECRET, state_dir)
  --log-level LEVEL     trace, debug, info (default), warn, error, silent
  --json                list: one JSON object per line
  -h, --help            this text
  -V, --version         the version
`;

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c" },
        "log-level": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    });
  } catch (err) {
    process.stderr.write(`thingd-registry: ${(err as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT_OK;
  }
  if (values.version) {
    process.stdout.write(`thingd-registry ${VERSION}\n`);
    return EXIT_OK;
  }
  const command = positionals[0];
  if (command !== "run" && command !== "check" && command !== "list") {
    process.stderr.write(`${command ? `thingd-registry: unknown command "${command}"\n\n` : ""}${USAGE}`);
    return EXIT_USAGE;
  }
  if (!values.config) {
    process.stderr.write(`thingd-registry ${command}: -c FILE is required\n`);
    return EXIT_USAGE;
  }
  const level = values["log-level"] ?? "info";
  if (!LEVELS.includes(level)) {
    process.stderr.write(`thingd-registry: --log-level must be one of ${LEVELS.join(", ")}\n`);
    return EXIT_USAGE;
  }
  let cfg;
  try {
    cfg = loadRegistryConfig(values.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return EXIT_CONFIG;
    }
    throw err;
  }
  switch (command) {
    case "check":
      process.stdout.write(`${cfg.file}: OK (component ${cfg.domain} via ${cfg.service}, state in ${cfg.stateDir})\n`);
      return EXIT_OK;
    case "list": {
      const state = await readState(cfg.stateDir, (t) => recordKey(t.jid, t));
      for (const t of state.things.values()) {
        if (values.json) {
          process.stdout.write(`${JSON.stringify({ ...t, tags: t.tags.filter((g) => g.name.toUpperCase() !== "KEY") })}\n`);
          continue;
        }
        const r = fromStored(t);
        const status = !isClaimed(r)
          ? "unclaimed"
          : r.selfOwned
            ? "self-owned"
            : `owner ${r.owner}${r.isPublic ? (r.removed ? ", removed" : ", public") : ", private"}`;
        const tags = [...r.tags.values()].filter((g) => g.name.toUpperCase() !== "KEY").map((g) => `${g.type === "num" ? "#" : ""}${g.name}=${g.value}`);
        process.stdout.write(`${r.jid}${r.nodeId ? ` node ${r.nodeId}` : ""}  ${status}  ${tags.join(" ")}\n`);
      }
      if (!values.json) process.stdout.write(`${state.things.size} Things\n`);
      return EXIT_OK;
    }
    case "run": {
      const log = createLogger(level as LevelWithSilent);
      try {
        return await runDaemon(cfg, log);
      } catch (err) {
        log.fatal({ err }, "thingd-registry failed");
        return EXIT_FAILURE;
      }
    }
  }
}
