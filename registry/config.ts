// thingd-registry's configuration file, checked like thingd's sensor map: YAML syntax, then the
// schema, then the secret; every problem listed at once as `file:line:col key.path: message`.
//
//   component:
//     service: xmpp://127.0.0.1:5347   # the server's component port
//     jid: things.example.org          # the component's domain
//     secret: …                        # or secret_file, or THINGD_REGISTRY_SECRET
//   state_dir: /var/lib/thingd-registry
import { readFileSync } from "node:fs";
import path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { ConfigError } from "../agent/errors.js";
import { formatProblems, ProblemList, unreadable } from "../agent/config/problems.js";

export interface RegistryConfig {
  file: string;
  service: string;
  domain: string;
  secret: string;
  stateDir: string;
}

type Env = Record<string, string | undefined>;

const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

const schema = z.strictObject({
  component: z.strictObject({
    service: z.string().regex(/^xmpp:\/\/[^/:\s]+:\d{1,5}$/, 'expected "xmpp://HOST:PORT" (the server\'s component port, e.g. xmpp://127.0.0.1:5347)'),
    jid: z.string().regex(DOMAIN, "expected the component's domain in lower case, e.g. things.example.org (no user part, no resource)"),
    secret: z.string().min(1, "expected a non-empty string").optional(),
    secret_file: z.string().min(1, "expected a file name").optional(),
  }),
  state_dir: z.string().min(1, "expected a folder name"),
});

export function loadRegistryConfig(file: string, env: Env = process.env): RegistryConfig {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, "utf8");
  } catch (err) {
    const problems = [{ file: abs, path: "", message: `cannot read the file: ${unreadable(abs) ?? (err as Error).message}` }];
    throw new ConfigError(formatProblems(problems), problems, { cause: err });
  }
  return parseRegistryConfig(text, abs, env);
}

export function parseRegistryConfig(text: string, file: string, env: Env = process.env): RegistryConfig {
  const abs = path.resolve(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const problems = new ProblemList(abs, doc, lines);
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      const pos = lines.linePos(err.pos[0]);
      problems.list.push({ file: abs, line: pos.line, column: pos.col, path: "", message: `YAML syntax: ${err.message}` });
    }
    throw problems.error();
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) {
    problems.list.push({ file: abs, path: "", message: "expected a mapping with component and state_dir, got an empty file" });
    throw problems.error();
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const at = issue.path.map((s) => (typeof s === "symbol" ? String(s) : s));
      if (issue.code === "unrecognized_keys") for (const k of issue.keys) problems.add([...at, k], `unknown key ${JSON.stringify(k)}`, true);
      else if (issue.code === "invalid_type" && issue.input === undefined)
        problems.add(at, `missing, expected ${issue.expected === "object" ? "a mapping" : `a ${issue.expected}`}`);
      else problems.add(at, issue.message);
    }
    throw problems.error();
  }
  const c = parsed.data.component;
  const folder = path.dirname(abs);
  let secret = env.THINGD_REGISTRY_SECRET || undefined;
  if (c.secret !== undefined && c.secret_file !== undefined) problems.add(["component", "secret_file"], "give secret or secret_file, not both", true);
  else if (!secret && c.secret !== undefined) secret = c.secret;
  else if (!secret && c.secret_file !== undefined) {
    const f = path.resolve(folder, c.secret_file);
    const why = unreadable(f);
    if (why) problems.add(["component", "secret_file"], `expected a readable file holding the secret (${why})`);
    else {
      secret = (readFileSync(f, "utf8").split(/\r?\n/, 1)[0] ?? "").trim();
      if (!secret) problems.add(["component", "secret_file"], "expected the secret on the first line of the file, got an empty line");
    }
  } else if (!secret) problems.add(["component"], 'no secret: set "secret", "secret_file" or the THINGD_REGISTRY_SECRET environment variable', true);
  if (problems.list.length > 0 || !secret) throw problems.error();
  return { file: abs, service: c.service, domain: c.jid, secret, stateDir: path.resolve(folder, parsed.data.state_dir) };
}
