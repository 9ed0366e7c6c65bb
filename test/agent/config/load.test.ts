// Sensor map loading. Most cases are folders, telegraf-style: test/cases/<case>/sensor-map.yaml
// with expected.json (the resolved ThingConfig) or expected.err (the exact problem lines), and
// an optional env.json. Paths inside the case folder are shown relative to it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getTasks } from "node-cron";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError } from "../../../agent/errors.js";
import { formatDuration, parseDuration } from "../../../agent/config/duration.js";
import { cronPeriodMs, formatPath, formatProblems, loadConfig, parseConfig } from "../../../agent/config/load.js";
import { sensorMapSchema } from "../../../agent/config/schema.js";

const CASES = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "cases");

/** Absolute paths under `dir` → relative, so expectations don't depend on the checkout. */
function relativeTo(dir: string, text: string): string {
  return text.split(dir + path.sep).join("").split(dir).join(".");
}

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

function parseError(text: string, env: Record<string, string> = {}): ConfigError {
  try {
    parseConfig(text, "/etc/thingd/sensors.yaml", env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("sensor map cases", () => {
  const names = readdirSync(CASES).filter((n) => existsSync(path.join(CASES, n, "sensor-map.yaml")));

  it("has cases", () => {
    expect(names.length).toBeGreaterThanOrEqual(14);
  });

  for (const name of names.sort()) {
    const dir = path.join(CASES, name);
    const read = (f: string) => readFileSync(path.join(dir, f), "utf8");

    it(name, async () => {
      // HOME: where a sensor map without state_dir keeps its state (~/.local/state/thingd).
      const env = { HOME: "/home/pi", ...(existsSync(path.join(dir, "env.json")) ? (JSON.parse(read("env.json")) as Record<string, string>) : {}) };
      const loading = loadConfig(path.join(dir, "sensor-map.yaml"), env);
      if (existsSync(path.join(dir, "expected.err"))) {
        const err = await rejection(loading);
        const lines = read("expected.err").trimEnd().split("\n");
        expect(relativeTo(dir, err.message).split("\n")).toStrictEqual(lines);
        expect(err.problems).toHaveLength(lines.length);
        for (const p of err.problems) expect(p.file).toBe(path.join(dir, "sensor-map.yaml"));
      } else {
        const config = await loading;
        expect(JSON.parse(relativeTo(dir, JSON.stringify(config)))).toStrictEqual(JSON.parse(read("expected.json")));
      }
    });
  }
});

describe("loadConfig", () => {
  it("reports a missing file as a problem", async () => {
    const file = path.join(CASES, "no-such-case", "sensor-map.yaml");
    const err = await rejection(loadConfig(file, {}));
    expect(err.problems).toStrictEqual([{ file, path: "", message: "cannot read the file: no such file" }]);
    expect(err.message).toBe(`${file}: cannot read the file: no such file`);
  });

  it("resolves a relative file name against the working directory", async () => {
    const file = path.relative(process.cwd(), path.join(CASES, "valid-minimal", "sensor-map.yaml"));
    const config = await loadConfig(file, { HOME: "/home/pi" });
    expect(config.file).toBe(path.join(CASES, "valid-minimal", "sensor-map.yaml"));
    expect(config.stateDir).toBe("/home/pi/.local/state/thingd");
  });
});

describe("state_dir default", () => {
  const text = `xmpp:
  service: xmpp://127.0.0.1:5222
  jid: thing@localhost
  password: pw
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: t, unit: "" }] }
`;
  const stateDir = (file: string, env: Record<string, string>) => parseConfig(text, file, env).stateDir;

  it("is systemd's $STATE_DIRECTORY (the first of several), never a folder next to the config", () => {
    expect(stateDir("/etc/thingd/sensors.yaml", { STATE_DIRECTORY: "/var/lib/thingd:/var/lib/other" })).toBe("/var/lib/thingd");
    expect(stateDir("/home/pi/sensors.yaml", { STATE_DIRECTORY: "/srv/state", HOME: "/home/pi" })).toBe("/srv/state");
  });

  it("is /var/lib/thingd for the service: under systemd, as the thingd user, or for a sensor map in /etc", () => {
    expect(stateDir("/home/pi/s.yaml", { INVOCATION_ID: "abc", HOME: "/home/pi" })).toBe("/var/lib/thingd");
    expect(stateDir("/home/pi/s.yaml", { USER: "thingd", HOME: "/var/lib/thingd" })).toBe("/var/lib/thingd");
    expect(stateDir("/etc/thingd/sensors.yaml", { USER: "pi", HOME: "/home/pi" })).toBe("/var/lib/thingd");
  });

  it("is a per-user folder otherwise: $XDG_STATE_HOME/thingd, else ~/.local/state/thingd", () => {
    expect(stateDir("/home/pi/s.yaml", { USER: "pi", HOME: "/home/pi" })).toBe("/home/pi/.local/state/thingd");
    expect(stateDir("/home/pi/s.yaml", { USER: "pi", HOME: "/home/pi", XDG_STATE_HOME: "/home/pi/.state" })).toBe("/home/pi/.state/thingd");
  });

  it("an explicit state_dir is relative to the config's folder, whatever the environment", () => {
    expect(parseConfig(text.replace("sensors:", "state_dir: ./st\nsensors:"), "/home/pi/s.yaml", { STATE_DIRECTORY: "/x" }).stateDir).toBe("/home/pi/st");
  });
});

describe("examples/sensors.yaml", () => {
  const file = path.join(CASES, "..", "..", "examples", "sensors.yaml");
  const env = { THINGD_PASSWORD: "example" }; // its password_file is on the Pi, not here

  it("is a valid sensor map", async () => {
    const config = await loadConfig(file, env);
    expect(config.sensors.map((s) => s.id)).toStrictEqual(["room"]);
  });

  it("stays valid with the commented pms5003 entry enabled", () => {
    const text = readFileSync(file, "utf8");
    const [head, tail] = text.split("  # - id: air");
    expect(tail).toBeDefined();
    const enabled = `${head}  - id: air${tail!.replace(/^  # /gm, "  ")}`;
    const config = parseConfig(enabled, file, env);
    expect(config.sensors.map((s) => [s.id, s.driver, s.options])).toStrictEqual([
      ["room", "simulated", expect.anything()],
      ["air", "pms5003", expect.objectContaining({ port: "/dev/serial0" })],
    ]);
  });
});

describe("password handling", () => {
  const base = (passwordLine: string) => `xmpp:
  service: xmpp://127.0.0.1:5222
  jid: thing@localhost
${passwordLine}
sensors:
  - id: room
    driver: simulated
    every: 5s
    fields: [{ name: t, unit: "°C" }]
`;

  it("ignores an empty THINGD_PASSWORD", () => {
    const config = parseConfig(base("  password: in-file"), "/etc/thingd/sensors.yaml", { THINGD_PASSWORD: "" });
    expect(config.xmpp.password).toBe("in-file");
  });

  it("prefers THINGD_PASSWORD over the file", () => {
    const config = parseConfig(base("  password: in-file"), "/etc/thingd/sensors.yaml", { THINGD_PASSWORD: "env" });
    expect(config.xmpp.password).toBe("env");
  });

  it("never shows a password that is not a string", () => {
    const err = parseError(base("  password: 987654321"));
    expect(err.message).toBe(
      "/etc/thingd/sensors.yaml:4:13 xmpp.password: expected a string (quote the password in YAML)",
    );
  });

  it("never shows the password in YAML syntax errors", () => {
    const err = parseError(base('  password: "s3cret-value\n  x: [ }'));
    expect(err.problems.length).toBeGreaterThan(0);
    expect(err.message).not.toContain("s3cret");
  });

  it("never shows the password_file value", () => {
    const err = parseError(base("  password_file: hunter2-pasted-here"));
    expect(err.message).toBe(
      "/etc/thingd/sensors.yaml:4:18 xmpp.password_file: cannot read the password file named in password_file (in /etc/thingd; the name is not shown, it may be the password): no such file",
    );
  });

  it("names a password file it cannot read by its resolved path when the value is a path or a usual file name", () => {
    for (const [value, shown] of [["./password", "/etc/thingd/password"], ["password", "/etc/thingd/password"], ["/srv/secret.txt", "/srv/secret.txt"]] as const) {
      expect(parseError(base(`  password_file: ${value}`)).message).toMatch(
        new RegExp(`xmpp\\.password_file: cannot read the password file ${shown.replace(/\./g, "\\.")}: no such file$`),
      );
    }
  });

  it("needs no password when the command does not log in", () => {
    const config = parseConfig(base(""), "/etc/thingd/sensors.yaml", {}, { needPassword: false });
    expect([config.xmpp.password, config.xmpp.passwordSource]).toStrictEqual(["", "none"]);
  });
});

describe("formatProblems", () => {
  it("writes file:line:col path: message, leaving out what is unknown", () => {
    expect(
      formatProblems([
        { file: "/a.yaml", line: 3, column: 7, path: "sensors[0].every", message: "m1" },
        { file: "/a.yaml", path: "xmpp", message: "m2" },
        { file: "/a.yaml", line: 1, column: 1, path: "", message: "m3" },
      ]),
    ).toBe("/a.yaml:3:7 sensors[0].every: m1\n/a.yaml xmpp: m2\n/a.yaml:1:1: m3");
  });

  it("formats key paths", () => {
    expect(formatPath(["sensors", 2, "every"])).toBe("sensors[2].every");
    expect(formatPath(["registry", "meta", "BAD TAG"])).toBe('registry.meta["BAD TAG"]');
    expect(formatPath([])).toBe("");
  });
});

describe("durations", () => {
  it.each([
    ["500ms", 500],
    ["10s", 10_000],
    ["1m", 60_000],
    ["1.5h", 5_400_000],
    ["0s", 0],
    ["5 seconds", undefined],
    ["10", undefined],
    ["1m30s", undefined],
    ["-1s", undefined],
    ["10S", undefined],
    ["", undefined],
  ])("parseDuration(%j) = %j", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    [500, "500ms"],
    [10_000, "10s"],
    [90_000, "90s"],
    [120_000, "2m"],
    [5_400_000, "90m"],
    [7_200_000, "2h"],
    [2_592_000_000, "30d"],
    [0, "0ms"],
  ])("formatDuration(%j) = %j and parses back", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});

describe("cronPeriodMs", () => {
  it("is the gap between two runs and leaves no task behind", () => {
    const before = getTasks().size;
    expect(cronPeriodMs("*/5 * * * * *")).toBe(5_000);
    expect(cronPeriodMs("*/10 * * * *")).toBe(600_000);
    expect(cronPeriodMs("@hourly")).toBe(3_600_000);
    expect(getTasks().size).toBe(before);
  });
});

describe("sensorMapSchema", () => {
  it("converts to JSON Schema", () => {
    const schema = z.toJSONSchema(sensorMapSchema, { io: "input" }) as { required?: string[]; additionalProperties?: unknown };
    expect(schema.required).toStrictEqual(["xmpp", "sensors"]);
    expect(schema.additionalProperties).toBe(false);
  });
});

describe("examples/all-drivers.yaml", () => {
  it("has one valid entry for every registered driver but simulated", async () => {
    const { DRIVERS } = await import("../../../drivers/registry.js");
    const file = new URL("../../../examples/all-drivers.yaml", import.meta.url).pathname;
    const config = await loadConfig(file, { THINGD_PASSWORD: "x" });
    expect(config.sensors.map((s) => s.driver).sort()).toStrictEqual(DRIVERS.map((d) => d.name).filter((n) => n !== "simulated").sort());
  });
});
