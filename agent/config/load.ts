// Loads the sensor map and resolves it into a ThingConfig. Checks run in passes, as
// zigbee2mqtt checks its settings: (1) YAML syntax, (2) the file schema (./schema.ts),
// (3) each sensor's driver-specific keys against its driver's configSchema, (4) what needs
// the file system or the environment (tls.ca, the password). Every problem of passes 2-4 is
// collected, so one run of `thingd` lists them all, each with file:line:col and a key path;
// then ./resolve.ts turns the valid map into a ThingConfig.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { formatProblems, fsReason, ProblemList, unreadable, type Segment } from "./problems.js";
import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { findDriver } from "../../drivers/registry.js";
import { COMMON_SENSOR_KEYS, defaultErrorMap, sensorMapSchema, show } from "./schema.js";
import type { ResolvedPassword, ThingConfig } from "./types.js";
import { resolve } from "./resolve.js";
import { indentationHints } from "./indentation.js";
import { defaultStateDir } from "./state-dir.js";
import { boardFacts, missingFacts, unknownPlaceholders, PLACEHOLDER_NAMES, type BoardFacts } from "./placeholders.js";

export { cronPeriodMs } from "./resolve.js";
export { formatPath, formatProblems } from "./problems.js";
type Env = Record<string, string | undefined>;

const PASSWORD_PATH = "xmpp.password";

export interface LoadOptions {
  /**
   * Only the commands that log in (`run`, `check` for it, `unregister`) need the XMPP password;
   * without it (`read`, `status`, `claim`) a missing or unreadable password is no problem and
   * `xmpp.password` is "".
   */
  needPassword?: boolean;
  /** This board's placeholder values (tests); default: read from the board when a placeholder is used. */
  facts?: () => BoardFacts;
}

export async function loadConfig(file: string, env: Env = process.env, options: LoadOptions = {}): Promise<ThingConfig> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await readFile(abs, "utf8");
  } catch (err) {
    const problems = [{ file: abs, path: "", message: `cannot read the file: ${fsReason(err)}` }];
    throw new ConfigError(formatProblems(problems), problems, { cause: err });
  }
  return parseConfig(text, abs, env, options);
}

/** Sync and pure but for reading `tls.ca` and `password_file`, relative to `file`'s folder. */
export function parseConfig(text: string, file: string, env: Env = process.env, loadOptions: LoadOptions = {}): ThingConfig {
  const abs = path.resolve(file);
  const lineCounter = new LineCounter();
  // prettyErrors off: its messages quote the offending source line, which may hold the password.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const problems = new Problems(abs, doc, lineCounter);

  // A broken document gives a partial tree; schema problems found in it would only be noise.
  if (doc.errors.length > 0) {
    // A plain line per misplaced key first (the parser points at the line above it), then
    // the parser's own words; kept in this order, not sorted by line.
    for (const hint of indentationHints(text)) {
      problems.list.push({ file: abs, line: hint.line, column: hint.column, path: "", message: hint.message });
    }
    for (const err of doc.errors) {
      const pos = lineCounter.linePos(syntaxErrorOffset(text, err));
      problems.list.push({ file: abs, line: pos.line, column: pos.col, path: "", message: `YAML syntax: ${err.message}` });
    }
    throw new ConfigError(formatProblems(problems.list), problems.list);
  }

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    problems.list.push({ file: abs, path: "", message: `YAML: ${(err as Error).message}` });
    throw problems.error();
  }
  if (data === null || data === undefined) {
    problems.list.push({ file: abs, path: "", message: "expected a sensor map (a mapping with xmpp and sensors), got an empty file" });
    throw problems.error();
  }

  const parsed = sensorMapSchema.safeParse(data, { error: defaultErrorMap, reportInput: true });
  if (!parsed.success) problems.addIssues(parsed.error.issues, [], false);
  // Later passes work on the raw tree, so they report even when the first pass failed.
  const options = checkDriverOptions(data, problems);
  const folder = path.dirname(abs);
  const ca = checkCa(data, folder, problems);
  const needPassword = loadOptions.needPassword ?? true;
  const password = resolvePassword(data, folder, env, needPassword ? problems : undefined);
  const facts = checkPlaceholders(data, loadOptions.facts ?? boardFacts, problems);

  if (problems.list.length > 0 || !parsed.success || (needPassword && password === undefined)) throw problems.error();
  const stateDir = parsed.data.state_dir === undefined ? defaultStateDir(abs, env) : path.resolve(folder, parsed.data.state_dir);
  return resolve(parsed.data, { file: abs, folder, options, ca, password: password ?? { value: "", source: "none" }, stateDir, facts });
}

class Problems extends ProblemList {
  addIssues(issues: readonly z.core.$ZodIssue[], prefix: Segment[], fromDriver: boolean): void {
    for (const issue of issues) {
      const at = [...prefix, ...issue.path.map((s) => (typeof s === "symbol" ? String(s) : s))];
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) this.add([...at, key], `unknown key ${JSON.stringify(key)}`, true);
      } else if (issue.code === "invalid_key") {
        this.add(at, issue.issues[0]?.message ?? issue.message, true);
      } else if (issue.code === "invalid_element") {
        this.add(at, issue.issues[0]?.message ?? issue.message);
      } else {
        this.add(at, fromDriver ? withFound(issue.message, issue.input) : issue.message);
      }
    }
  }

  override error(): ConfigError {
    for (const p of this.list) if (p.path === PASSWORD_PATH) p.message = scrubPassword(p.message);
    return super.error();
  }
}

/**
 * yaml reports an unclosed quote where the file ends; the opening quote is where the fix
 * goes. A string that never closes holds no other such quote, so it is the last one.
 */
function syntaxErrorOffset(text: string, err: { code: string; message: string; pos: [number, number] }): number {
  const quote = err.code === "MISSING_CHAR" ? /closing (["'])quote/.exec(err.message)?.[1] : undefined;
  const opening = quote ? text.lastIndexOf(quote, err.pos[0] - 1) : -1;
  return opening >= 0 ? opening : err.pos[0];
}

/** Driver messages like "expected a field name" gain what was found, if it can be shown. */
function withFound(message: string, input: unknown): string {
  // Not mappings: a refinement on an object reports the whole object as its input.
  const shown = ["string", "number", "boolean"].includes(typeof input) || Array.isArray(input);
  return shown && !/\bgot\b|^missing/.test(message) ? `${message}, got ${show(input)}` : message;
}

function scrubPassword(message: string): string {
  return /\bgot\b/.test(message) ? "expected a non-empty string (quote the password in YAML)" : message;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Pass 3: each entry's non-common keys against its driver's configSchema. */
function checkDriverOptions(data: unknown, problems: Problems): Map<number, unknown> {
  const options = new Map<number, unknown>();
  const sensors = isMapping(data) ? data.sensors : undefined;
  if (!Array.isArray(sensors)) return options;
  sensors.forEach((entry: unknown, i) => {
    if (!isMapping(entry) || typeof entry.driver !== "string") return;
    const driver = findDriver(entry.driver);
    if (!driver) return; // the first pass already said which names exist
    const own = Object.fromEntries(
      Object.entries(entry).filter(([k]) => !(COMMON_SENSOR_KEYS as readonly string[]).includes(k)),
    );
    const result = driver.configSchema.safeParse(own, { error: defaultErrorMap, reportInput: true });
    if (result.success) options.set(i, result.data);
    else problems.addIssues(result.error.issues, ["sensors", i], true);
  });
  return options;
}

function xmppSection(data: unknown): Record<string, unknown> | undefined {
  return isMapping(data) && isMapping(data.xmpp) ? data.xmpp : undefined;
}

/** Pass 4a: `xmpp.tls.ca` must be a readable PEM file now, not at the first TLS handshake. */
function checkCa(data: unknown, folder: string, problems: Problems): string | undefined {
  const tls = xmppSection(data)?.tls;
  const ca = isMapping(tls) ? tls.ca : undefined;
  if (typeof ca !== "string" || ca === "") return undefined;
  const file = path.resolve(folder, ca);
  const why = unreadable(file);
  if (why) {
    problems.add(["xmpp", "tls", "ca"], `expected a readable PEM file, got ${show(file)} (${why})`);
    return undefined;
  }
  if (!/-----BEGIN [A-Z0-9 ]+-----/.test(readFileSync(file, "latin1"))) {
    problems.add(["xmpp", "tls", "ca"], `expected a PEM file (-----BEGIN CERTIFICATE-----), got ${show(file)} without a PEM block`);
    return undefined;
  }
  return file;
}

/**
 * Pass 4b: THINGD_PASSWORD (non-empty), else `password`, else the first line of
 * `password_file`. No message shows the password. The password_file value is shown (resolved)
 * only when it names a file that exists, or looks like a path: a password pasted into the
 * wrong key would otherwise end up in the journal. `problems` undefined: not needed, not checked.
 */
function resolvePassword(data: unknown, folder: string, env: Env, problems: Problems | undefined): ResolvedPassword | undefined {
  const fromEnv = env.THINGD_PASSWORD;
  if (fromEnv) return { value: fromEnv, source: "env" };
  const xmpp = xmppSection(data);
  if (!xmpp) return undefined; // the first pass reports the missing section
  // Self-provisioning: the password is made up and kept in state_dir (agent/account/provision.ts).
  if (xmpp.register === true && xmpp.password === undefined && xmpp.password_file === undefined) return { value: "", source: "none" };
  if (xmpp.password !== undefined) {
    return typeof xmpp.password === "string" && xmpp.password !== "" ? { value: xmpp.password, source: "inline" } : undefined;
  }
  const pwFile = xmpp.password_file;
  if (pwFile === undefined) {
    problems?.add(["xmpp", "password"], 'missing, expected "password", "password_file" or the THINGD_PASSWORD environment variable');
    return undefined;
  }
  if (typeof pwFile !== "string" || pwFile === "") return undefined; // reported by the first pass
  if (!problems) return undefined;
  const file = path.resolve(folder, pwFile);
  const why = unreadable(file);
  if (why) {
    const shown = why === "no such file" && !looksLikePath(pwFile) ? `named in password_file (in ${folder}; the name is not shown, it may be the password)` : file;
    const fix = why === "permission denied" ? ": run as the thingd user (sudo -u thingd ...) or root" : "";
    problems.add(["xmpp", "password_file"], `cannot read the password file ${shown}: ${why}${fix}`);
    return undefined;
  }
  const firstLine = (readFileSync(file, "utf8").split(/\r?\n/, 1)[0] ?? "").trim();
  if (firstLine === "") {
    problems.add(["xmpp", "password_file"], `expected the password on the first line of ${file}, got an empty line`);
    return undefined;
  }
  return { value: firstLine, source: "file", file };
}


/** A path ("./password", "/etc/thingd/password"), a usual name ("password") or a name with a file extension. */
function looksLikePath(value: string): boolean {
  return value.includes("/") || /^(password|passwd|secret|xmpp[-_.]?password)$/i.test(value) || /^[\w.-]+\.(txt|pw|pass|secret|key)$/i.test(value);
}

/** Where placeholders may be used: `xmpp.jid`, `xmpp.resource` and `registry.meta` values. */
function placeholderSites(data: unknown): Array<{ at: Segment[]; text: string }> {
  const sites: Array<{ at: Segment[]; text: string }> = [];
  const xmpp = xmppSection(data);
  for (const key of ["jid", "resource"]) {
    const v = xmpp?.[key];
    if (typeof v === "string") sites.push({ at: ["xmpp", key], text: v });
  }
  const meta = isMapping(data) && isMapping(data.registry) && isMapping(data.registry.meta) ? data.registry.meta : {};
  for (const [k, v] of Object.entries(meta)) if (typeof v === "string") sites.push({ at: ["registry", "meta", k], text: v });
  return sites;
}

/**
 * Pass 4c: placeholders name a known fact that this board has. The board is asked only when
 * a placeholder is used, so a map without any never reads /proc or the network interfaces.
 */
function checkPlaceholders(data: unknown, factsOf: () => BoardFacts, problems: Problems): BoardFacts | undefined {
  const sites = placeholderSites(data).filter((s) => /\{[^{}\s]*\}/.test(s.text));
  if (sites.length === 0) return undefined;
  const facts = factsOf();
  for (const site of sites) {
    const unknown = unknownPlaceholders(site.text);
    if (unknown.length > 0) {
      problems.add(site.at, `unknown placeholder ${unknown.map((n) => `{${n}}`).join(", ")}, expected one of ${PLACEHOLDER_NAMES.map((n) => `{${n}}`).join(" ")}`);
      continue;
    }
    const missing = missingFacts(site.text, facts);
    if (missing.length > 0) {
      problems.add(site.at, `placeholder ${missing.map((n) => `{${n}}`).join(", ")} has no value on this board (${missing.map(factSource).join("; ")})`);
    }
  }
  return facts;
}

function factSource(name: string): string {
  if (name === "serial") return "no CPU serial, device-tree serial-number or /etc/machine-id";
  if (name === "mac") return "no network interface with a hardware address";
  return "the hostname is empty";
}
