// `thingd logs [-f] [-n N] [--since ...]`: the service's journal as human lines, i.e.
// `journalctl -u thingd -o cat ...` through thingd's own pretty printer (../log-pretty.ts).
// `thingd logs -` reads JSON log lines from stdin instead (a saved log, another machine's
// journal). `--log-format json` passes the lines through untouched.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { Io } from "./io.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../errors.js";
import { prettyLine } from "../log-pretty.js";
import { LOGS_USAGE } from "./help.js";


export async function logsCommand(args: readonly string[], io: Io): Promise<number> {
  let pretty = true;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const format = a === "--log-format" ? args[++i] : a.startsWith("--log-format=") ? a.slice(13) : undefined;
    if (format !== undefined || a === "--log-format") {
      if (format !== "json" && format !== "pretty") {
        io.err(`thingd: --log-format: expected json or pretty, got ${JSON.stringify(format ?? "")}`);
        return EXIT_USAGE;
      }
      pretty = format === "pretty";
    } else if (a === "-h" || a === "--help") {
      io.out(LOGS_USAGE);
      return EXIT_OK;
    } else {
      rest.push(a);
    }
  }
  // `thingd logs | head`: the reader went away; that is the end, not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
  });
  const print = (line: string) => io.out(pretty ? prettyLine(line) : line);
  if (rest.length === 1 && rest[0] === "-") {
    await eachLine(process.stdin, print);
    return EXIT_OK;
  }
  const child = spawn("journalctl", ["-u", "thingd", "-o", "cat", ...rest], { stdio: ["ignore", "pipe", "inherit"] });
  const spawned = new Promise<number>((resolve) => {
    child.on("error", (err: NodeJS.ErrnoException) => {
      io.err(
        err.code === "ENOENT"
          ? "thingd: journalctl not found (no systemd journal here): pipe log lines in instead, e.g. thingd run 2>&1 | thingd logs -"
          : `thingd: cannot run journalctl: ${err.message}`,
      );
      resolve(EXIT_FAILURE);
    });
    child.on("close", (code) => resolve(code ?? EXIT_FAILURE));
  });
  await eachLine(child.stdout, print);
  return spawned;
}

async function eachLine(input: Readable, fn: (line: string) => void): Promise<void> {
  for await (const line of createInterface({ input, crlfDelay: Infinity })) fn(line);
}
