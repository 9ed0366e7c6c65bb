// `thingd COMMAND --help`: that command's own usage and options.
import { VERSION } from "../version.js";

export const LOGS_USAGE = `Usage: thingd logs [-f] [-n LINES] [--since TIME] [--log-format json|pretty]
       thingd logs - < FILE
The service's log (journalctl -u thingd -o cat) as one short line per record. Options other
than --log-format go to journalctl. "-" reads JSON log lines from stdin.`;

export const DEFAULT_CONFIG = "/etc/thingd/sensors.yaml";

const CONFIG = `  -c, --config FILE     sensor map (default ${DEFAULT_CONFIG})`;
const LOG = `  --log-level LEVEL     trace | debug | info | warn | error | fatal | silent (default info)
  --log-format FORMAT   json | pretty (default: pretty on a terminal, JSON elsewhere)`;
const JSON_OUT = "  --json                machine-readable output";

export const COMMAND_HELP: Readonly<Record<string, string>> = {
  run: `Usage: thingd run [-c FILE] [--log-level LEVEL] [--log-format json|pretty]
Connect to the XMPP server, register, answer readouts: the service. Logs go to stdout.
${CONFIG}
${LOG}
State (the claim KEY, history, status socket) is kept in state_dir; without one in the sensor
map: $STATE_DIRECTORY (set by systemd), else /var/lib/thingd for the service, else
~/.local/state/thingd.`,
  check: `Usage: thingd check [-c FILE]
Validate the sensor map, the password file and the state folder. Exit 0, or 78 with every
problem as file:line:col path: message.
${CONFIG}`,
  read: `Usage: thingd read [-c FILE] [--json] [--outputs]
Read every sensor once, locally (no XMPP, no password needed): check the wiring before going
online. Refuses while thingd runs (use thingd status).
${CONFIG}
${JSON_OUT}
  --outputs             also read outputs (relays): this drives them to initial, then safe_state
${LOG}`,
  status: `Usage: thingd status [-c FILE] [--json]
What the running daemon is doing: XMPP, registry, clock, sensors. Exit 0 healthy, 1 not
running (or no permission), 2 degraded, 78 invalid sensor map. Members of the thingd group may
run it without sudo.
${CONFIG}
${JSON_OUT}`,
  claim: `Usage: thingd claim [-c FILE] [--json] [--svg FILE]
How the owner claims this Thing: the iotdisco: URI with its KEY and a QR code, or who owns it.
  --svg FILE            also write a printable label (the QR code, JID and SN under it) to FILE
${CONFIG}
${JSON_OUT}`,
  unregister: `Usage: thingd unregister [-c FILE]
Uninstall: <unregister/> to the Thing Registry, state UNREGISTERED (the KEY is kept).
${CONFIG}`,
  schema: `Usage: thingd schema
Print the sensor map's JSON Schema (for editors).`,
  "scan-i2c": `Usage: thingd scan-i2c [BUS]
Addresses answering on /dev/i2c-BUS (default 1), like i2cdetect -y.`,
  "list-serial": `Usage: thingd list-serial [--json]
Serial ports and their stable names (/dev/serial0, /dev/serial/by-id/...).
${JSON_OUT}`,
  logs: LOGS_USAGE,
  console: `Usage: thingd console [--listen HOST:PORT]
Serve the web console (dist/console or /usr/share/thingd/console) with a strict CSP; default 127.0.0.1:8080.`,
};

export const USAGE = `thingd ${VERSION} — XMPP IoT Thing agent

Usage:
  thingd run   [-c FILE] [--log-level LEVEL]   connect, register, answer readouts (the service)
  thingd check [-c FILE]                       validate the sensor map, password and state folder; exit 0 or 78
  thingd read  [-c FILE] [--json] [--outputs]  read every sensor once, locally (no XMPP, no password)
  thingd status [-c FILE] [--json]             the running daemon: XMPP, registry, clock, sensors
  thingd claim  [-c FILE] [--json] [--svg F]   how the owner claims this Thing: iotdisco: URI + QR code, or who owns it;
                                               --svg F also writes a printable label (QR, JID, SN) to F
  thingd unregister [-c FILE]                  uninstall: <unregister/> to the Thing Registry, state UNREGISTERED (KEY kept)
  thingd logs  [-f] [-n N]                     the service's log as human lines (journalctl -u thingd)
  thingd schema                                print the sensor map's JSON Schema (for editors)
  thingd scan-i2c [BUS]                        addresses answering on /dev/i2c-BUS (default 1), like i2cdetect -y
  thingd list-serial [--json]                  serial ports and their stable names (/dev/serial0, by-id)
  thingd console [--listen HOST:PORT]          serve the web console (default 127.0.0.1:8080)
  thingd COMMAND --help                        that command's options
  thingd --version | --help

Options:
  -c, --config FILE     sensor map (default ${DEFAULT_CONFIG})
  --log-level LEVEL     trace | debug | info | warn | error | fatal | silent (default info)
  --log-format FORMAT   json | pretty (default: pretty on a terminal, JSON elsewhere, e.g. the journal)
  --json                machine-readable output for "read", "status", "claim" and "list-serial"

Exit codes: 0 ok; 1 runtime failure (read: a sensor failed; status: daemon not running);
2 status: running but degraded (offline or a sensor failing); 64 bad usage; 78 invalid config.
Environment: THINGD_PASSWORD overrides xmpp.password / xmpp.password_file.`;
