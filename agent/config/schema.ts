// The sensor map file schema: first pass of the config check (see ./load.ts for the second,
// per-driver pass). No transforms, so z.toJSONSchema() can publish it as-is; values are
// resolved (durations, paths, password) in load.ts.
//
// Every message says what was expected and what was found, e.g.
//   expected a duration like "10s", got "5 seconds"
import { z } from "zod";
import { validate as validateCron, validateDetailed as explainCron } from "node-cron";
import { driverNames } from "../../drivers/registry.js";
import { DURATION_PATTERN, formatDuration, parseDuration } from "./duration.js";
import { parseSize, SIZE_PATTERN } from "./size.js";

/** Keys every sensor entry has; the rest belong to the driver's configSchema. */
export const COMMON_SENSOR_KEYS = ["id", "driver", "every", "cron", "timeout"] as const;

/** How a found value is shown in a message (long strings cut, so one problem stays one line). */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

/** `expected X, got Y`, or `missing, expected X` when the key isn't there. */
export function expected(what: string, input: unknown): string {
  return input === undefined ? `missing, expected ${what}` : `expected ${what}, got ${show(input)}`;
}

/** A string schema whose every failure (wrong type or wrong form) gets one message. */
function text(what: string, pattern: RegExp) {
  const error = (iss: { input?: unknown }) => expected(what, iss.input);
  return z.string({ error }).regex(pattern, { error });
}

function duration(minMs = 1) {
  return text('a duration like "10s"', DURATION_PATTERN).refine(
    // Malformed values were already reported by the pattern; only judge the amount here.
    (s) => (parseDuration(s) ?? minMs) >= minMs,
    { error: (iss) => expected(`a duration of at least ${formatDuration(minMs)}`, iss.input) },
  );
}

// RFC 7622 allows far more, but a bare JID always has exactly one "@" and no "/resource".
const BARE_JID = /^[^@/\s]+@[^@/\s]+$/;
const DOMAIN = /^[^@/\s]+$/;
const bareJid = text('a bare JID like "thing@example.org"', BARE_JID);

// Flow style is allowed by the pattern: an IPv6 literal needs brackets, as in URLs.
const SERVICE = /^xmpps?:\/\/(\[[0-9A-Fa-f:.]+\]|[^\s/:@[\]]+)(:\d{1,5})?\/?$/;

const CRON_FIELD_NAMES: Record<string, string> = {
  second: "second",
  minute: "minute",
  hour: "hour",
  dayOfMonth: "day of month",
  month: "month",
  dayOfWeek: "day of week",
};

function cronDetail(expression: string): string {
  const errors = explainCron(expression).errors;
  const details = errors.map((e) =>
    e.field in CRON_FIELD_NAMES ? `bad ${CRON_FIELD_NAMES[e.field]} field "${e.value ?? ""}"` : e.message,
  );
  return details.length > 0 ? ` (${details.join("; ")})` : "";
}

const CRON_EXAMPLE = 'a node-cron expression like "*/5 * * * * *"';
const cron = z.string({ error: (iss) => expected(CRON_EXAMPLE, iss.input) }).refine((s) => validateCron(s), {
  error: (iss) => expected(CRON_EXAMPLE, iss.input) + (typeof iss.input === "string" ? cronDetail(iss.input) : ""),
});

// XEP-0347 §5.2 meta tags (docs/protocol.md §2.3). KEY is the claim key the Thing makes up itself (./load.ts never
// takes it from the file: a key in a world-readable config would let anyone claim the Thing).
const TAG_NAME = /^[^:#\s]{1,32}$/;
const tagName = text('a tag name of 1-32 characters without ":", "#" or whitespace', TAG_NAME).refine(
  (name) => name !== "KEY",
  { error: '"KEY" is reserved: thingd generates the claim key itself' },
);
const tagValue = z
  .union([z.string(), z.number()], { error: (iss) => expected("a string or a number", iss.input) })
  .refine((v) => typeof v !== "string" || v.length <= 128, {
    error: (iss) => `expected at most 128 characters, got ${String(iss.input).length}`,
  });

const tlsSchema = z.strictObject({
  ca: z.string({ error: (iss) => expected("a path to a PEM file", iss.input) }).min(1).optional()
    .describe("Extra trusted CA bundle (PEM), relative to the config file's folder"),
  required: z.boolean({ error: (iss) => expected("true or false", iss.input) }).default(true)
    .describe("false allows a plaintext connection (loopback testing only)"),
});

// Reconnect back-off (agent/transport/supervisor.ts); each delay is jittered between half and all of it.
const reconnectSchema = z.strictObject({
  min: duration().default("1s").describe("First delay after a lost connection or a failed connect; doubles each time"),
  max: duration().default("60s").describe("Longest delay after a lost connection or a failed connect"),
  conflict_min: duration().default("30s")
    .describe("First delay after another client logged in with this JID and resource; doubles each time"),
  conflict_max: duration().default("15m").describe("Longest delay after such a conflict"),
});

const SERVICE_WHAT = 'a service URL like "xmpp://example.org:5222" (STARTTLS) or "xmpps://example.org:5223"';
const serviceUrl = text(SERVICE_WHAT, SERVICE);
const xmppSchema = z.strictObject({
  service: z
    .union([serviceUrl, z.array(serviceUrl, { error: (iss) => expected(`a list of ${SERVICE_WHAT}s`, iss.input) }).min(1, { error: `expected at least one ${SERVICE_WHAT}, got an empty list` })], {
      error: (iss) => expected(`${SERVICE_WHAT}, or a list of them`, iss.input),
    })
    .optional()
    .describe("One server or a list tried in order (a cluster's nodes); without it, DNS SRV records of the domain, else the domain on port 5222"),
  domain: text('a domain like "example.org"', DOMAIN).optional()
    .describe("Defaults to the JID's domain"),
  jid: bareJid,
  // The value is a secret: these messages never show it, whatever was found.
  password: z.string({ error: "expected a string (quote the password in YAML)" }).min(1, "expected a non-empty password").optional()
    .describe("Overridden by the THINGD_PASSWORD environment variable"),
  password_file: z.string({ error: (iss) => expected("a file path", iss.input) }).min(1).optional()
    .describe("First line is the password; relative to the config file's folder"),
  resource: z.string({ error: (iss) => expected("a resource name", iss.input) })
    .min(1, 'expected a resource name like "thingd"').default("thingd"),
  tls: tlsSchema.default({ required: true }),
  keepalive: duration(5_000).default("60s"),
  reconnect: reconnectSchema.optional().describe("Reconnect back-off; the defaults suit a real deployment"),
  stream_management: z.boolean({ error: (iss) => expected("true or false", iss.input) }).default(true)
    .describe("XEP-0198 stream management: a session lost to a short network outage is resumed and nothing sent is lost; false turns it off"),
  register: z.boolean({ error: (iss) => expected("true or false", iss.input) }).default(false)
    .describe("Create the account by in-band registration (XEP-0077) on first start; the password is generated and kept in state_dir"),
  invite: z.string({ error: (iss) => expected("an invite token", iss.input) }).min(1).optional()
    .describe("Pre-authorised registration token (XEP-0401) for servers that register by invitation only"),
});

const registrySchema = z.strictObject({
  jid: text('a registry address like "registry.example.org"', /^([^@/\s]+@)?[^@/\s]+$/).optional(),
  meta: z.record(tagName, tagValue).default({}),
});

const accessSchema = z.strictObject({
  owner: bareJid.optional(),
  readers: z.array(bareJid, { error: (iss) => expected("a list of bare JIDs", iss.input) }).default([]),
  controllers: z.array(bareJid, { error: (iss) => expected("a list of bare JIDs", iss.input) }).default([])
    .describe("Who may switch outputs (XEP-0325) besides the owner"),
});

// XEP-0324 provisioning server (docs/protocol.md §3.1): asked who may befriend, read and control.
const provisioningSchema = z.strictObject({
  jid: text('a provisioning server address like "provisioning.example.org"', /^([^@/\s]+@)?[^@/\s]+$/),
  cache: duration().default("1h").describe("How long an answer is reused before asking again"),
  timeout: duration().default("10s").describe("No answer within this time counts as a deny"),
});

// The local history store (agent/history/store.ts; README "History").
const historySchema = z.strictObject({
  enabled: z.boolean({ error: (iss) => expected("true or false", iss.input) }).default(true),
  path: z.string({ error: (iss) => expected("a folder path", iss.input) }).min(1).optional()
    .describe("Folder of the history segments; default <state_dir>/history; relative to the config file's folder"),
  keep: duration(60_000).default("30d").describe("How long values are kept"),
  max_size: text('a size like "64MB"', SIZE_PATTERN)
    .refine((v) => (parseSize(v) ?? 65_536) >= 65_536, { error: (iss) => expected("a size of at least 64KB", iss.input) })
    .default("64MB").describe("Most disk space the history may use"),
  flush: duration(1_000).default("30s").describe("How often buffered values are written (values not yet written are lost on a crash)"),
  max_fields_per_request: z.number().int().min(1).max(1_000_000).default(5000)
    .describe("Most historical values one readout returns"),
});

const positive = (what: string) => z.number({ error: (iss) => expected(what, iss.input) }).positive({ error: (iss) => expected(what, iss.input) });
const limitsSchema = z.strictObject({
  requests_per_second: positive("a number of requests per second > 0").default(100)
    .describe("Sustained requests per second per requesting bare JID"),
  burst: positive("a number of requests > 0").default(200)
    .describe("Requests allowed at once after an idle spell"),
  owner_factor: positive("a factor > 0").default(20)
    .describe("The owner's rate and burst are this many times the others'"),
});

const SENSOR_ID = /^[A-Za-z0-9_.-]{1,64}$/;

// Event subscription limits (agent/events/manager.ts).
const subscriptionsSchema = z.strictObject({
  per_jid: z.number().int().min(1).max(10_000).default(10).describe("Event subscriptions one subscriber (bare JID) may hold"),
  total: z.number().int().min(1).max(100_000).default(500).describe("Event subscriptions in all"),
});

const ALERT_KINDS = ["above", "below", "stale", "failing"] as const;
const number = (what: string) => z.number({ error: (iss) => expected(what, iss.input) });

// One alert rule (README "Alerts"): exactly one of above/below/stale/failing.
const alertSchema = z
  .strictObject({
    sensor: text("a sensor id from sensors[]", SENSOR_ID),
    field: z.string({ error: (iss) => expected("a field name", iss.input) }).min(1).optional(),
    above: number("a number").optional().describe("Alert when the field goes above this"),
    clear_below: number("a number").optional().describe("With above: clear only below this (hysteresis); default the above value"),
    below: number("a number").optional().describe("Alert when the field goes below this"),
    clear_above: number("a number").optional().describe("With below: clear only above this; default the below value"),
    stale: duration(1_000).optional().describe("Alert when the sensor had no good read for this long"),
    failing: z.literal(true, { error: (iss) => expected("true", iss.input) }).optional().describe("Alert while the sensor's reads fail"),
    to: z
      .array(text('"owner" or a bare JID like "me@example.org"', /^(owner|[^@/\s]+@[^@/\s]+)$/), { error: (iss) => expected("a list of bare JIDs or owner", iss.input) })
      .min(1)
      .default(["owner"]),
    repeat: duration(1_000).optional().describe("Send again this often while the rule holds"),
  })
  .superRefine(
    (rule, ctx) => {
      const kinds = ALERT_KINDS.filter((k) => rule[k] !== undefined);
      if (kinds.length !== 1) {
        ctx.addIssue({ code: "custom", path: [], input: undefined, message: `expected exactly one of ${ALERT_KINDS.join(", ")}, got ${kinds.length === 0 ? "none" : kinds.join(" and ")}` });
        return;
      }
      const kind = kinds[0]!;
      if ((kind === "above" || kind === "below") && rule.field === undefined) {
        ctx.addIssue({ code: "custom", path: ["field"], input: undefined, message: `missing, expected the field that "${kind}" watches` });
      }
      if (rule.clear_below !== undefined && kind !== "above") ctx.addIssue({ code: "custom", path: ["clear_below"], input: rule.clear_below, message: 'clear_below goes with "above"' });
      if (rule.clear_above !== undefined && kind !== "below") ctx.addIssue({ code: "custom", path: ["clear_above"], input: rule.clear_above, message: 'clear_above goes with "below"' });
      if (kind === "above" && rule.clear_below !== undefined && rule.above !== undefined && rule.clear_below > rule.above) {
        ctx.addIssue({ code: "custom", path: ["clear_below"], input: rule.clear_below, message: `expected a number <= above (${rule.above}), got ${rule.clear_below}` });
      }
      if (kind === "below" && rule.clear_above !== undefined && rule.below !== undefined && rule.clear_above < rule.below) {
        ctx.addIssue({ code: "custom", path: ["clear_above"], input: rule.clear_above, message: `expected a number >= below (${rule.below}), got ${rule.clear_above}` });
      }
    },
    { when: (payload) => isMapping(payload.value) },
  );

/** Common keys only; the driver-specific keys pass through to the second pass in load.ts. */
function sensorSchema() {
  const names = driverNames();
  return z
    .looseObject({
      id: text('a sensor id of 1-64 characters from A-Z a-z 0-9 _ . -', SENSOR_ID),
      driver: z.enum(names as [string, ...string[]], {
        error: (iss) => (iss.input === undefined ? `missing, expected one of: ${names.join(", ")}` : `expected one of: ${names.join(", ")}, got ${show(iss.input)}`),
      }),
      every: duration().optional(),
      cron: cron.optional(),
      timeout: duration().optional(),
    })
    .superRefine(
      (entry, ctx) => {
        const hasEvery = entry.every !== undefined;
        const hasCron = entry.cron !== undefined;
        if (hasEvery && hasCron) {
          ctx.addIssue({ code: "custom", path: ["cron"], input: entry.cron, message: 'expected exactly one of "every" or "cron", got both' });
        } else if (!hasEvery && !hasCron) {
          ctx.addIssue({ code: "custom", path: [], input: undefined, message: 'missing "every" or "cron", expected exactly one of them' });
        }
      },
      // Run even when a field already failed, so one pass reports everything.
      { when: (payload) => isMapping(payload.value) },
    );
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function buildSensorMapSchema() {
  return z.strictObject({
    xmpp: xmppSchema,
    registry: registrySchema.optional(),
    access: accessSchema.optional(),
    provisioning: provisioningSchema.optional(),
    history: historySchema.optional(),
    limits: limitsSchema.optional().describe("Per-requester rate limits (over the limit: resource-constraint)"),
    subscriptions: subscriptionsSchema.optional().describe("Limits of event subscriptions (pushed values)"),
    alerts: z.array(alertSchema, { error: (iss) => expected("a list of alert rules", iss.input) }).optional()
      .describe("Chat messages to people when a value crosses a limit, a sensor goes stale or fails"),
    state_dir: z.string({ error: (iss) => expected("a folder path", iss.input) }).min(1).optional()
      .describe("Relative to the config file's folder; default $STATE_DIRECTORY, else /var/lib/thingd for the service, else ~/.local/state/thingd"),
    sensors: z
      .array(sensorSchema(), { error: (iss) => expected("a list of sensors", iss.input) })
      .min(1, { error: "expected at least one sensor, got an empty list" })
      .superRefine(
        (sensors, ctx) => {
          // XEP-0323 nodeIds must be unique; name the first use so the fix is obvious.
          const seen = new Map<string, number>();
          (sensors as unknown[]).forEach((entry, i) => {
            if (!isMapping(entry) || typeof entry.id !== "string") return;
            const first = seen.get(entry.id);
            if (first === undefined) seen.set(entry.id, i);
            else ctx.addIssue({ code: "custom", path: [i, "id"], input: entry.id, message: `duplicate sensor id ${show(entry.id)}, already used by sensors[${first}]` });
          });
        },
        { when: (payload) => Array.isArray(payload.value) },
      ),
  }).superRefine(
    (map, ctx) => {
      // Each alert names a sensor of this map.
      const ids = new Set((Array.isArray(map.sensors) ? (map.sensors as unknown[]) : []).map((s) => (isMapping(s) ? s.id : undefined)));
      const alerts: unknown = (map as { alerts?: unknown }).alerts;
      if (!Array.isArray(alerts)) return;
      alerts.forEach((a: unknown, i) => {
        if (isMapping(a) && typeof a.sensor === "string" && !ids.has(a.sensor)) {
          ctx.addIssue({ code: "custom", path: ["alerts", i, "sensor"], input: a.sensor, message: `expected the id of a sensor in sensors[], got ${show(a.sensor)}` });
        }
      });
    },
    { when: (payload) => isMapping(payload.value) },
  );
}

export const sensorMapSchema = buildSensorMapSchema();

/** The file as the first pass returns it (defaults applied, driver keys still raw). */
export type SensorMap = z.output<typeof sensorMapSchema>;
export type SensorEntry = SensorMap["sensors"][number];

const TYPE_NAMES: Record<string, string> = {
  array: "a list",
  object: "a mapping",
  int: "an integer",
  boolean: "true or false",
};

/**
 * Messages for issues whose schema set none (mostly driver schemas): zod's defaults say
 * "Invalid input", ours say what was expected and what was found.
 */
export const defaultErrorMap: z.core.$ZodErrorMap = (iss) => {
  const input = iss.input;
  switch (iss.code) {
    case "invalid_type":
      return expected(TYPE_NAMES[iss.expected] ?? `a ${iss.expected}`, input);
    case "too_small":
    case "too_big": {
      const bound = iss.code === "too_small" ? iss.minimum : iss.maximum;
      const op = iss.code === "too_small" ? (iss.inclusive ? ">=" : ">") : iss.inclusive ? "<=" : "<";
      const least = iss.code === "too_small" ? "at least" : "at most";
      if (iss.origin === "array") return `expected ${least} ${String(bound)} item(s), got ${Array.isArray(input) ? input.length : show(input)}`;
      if (iss.origin === "string") return `expected ${least} ${String(bound)} character(s), got ${show(input)}`;
      return expected(`a number ${op} ${String(bound)}`, input);
    }
    case "invalid_value":
      return expected(`one of: ${iss.values.map((v) => show(v)).join(", ")}`, input);
    case "invalid_format":
      return expected(iss.format === "regex" && "pattern" in iss ? `a string matching ${String(iss.pattern)}` : `a valid ${iss.format}`, input);
    case "not_multiple_of":
      return expected(`a multiple of ${String(iss.divisor)}`, input);
    case "unrecognized_keys":
      return iss.keys.map((k) => `unknown key ${JSON.stringify(k)}`).join("; ");
    case "invalid_union": {
      const kinds = iss.errors.flatMap((e) => e.filter((i) => i.code === "invalid_type").map((i) => (i as { expected: string }).expected));
      return expected(kinds.length > 0 ? [...new Set(kinds)].map((k) => TYPE_NAMES[k] ?? `a ${k}`).join(" or ") : "one of the allowed forms", input);
    }
    default:
      return undefined;
  }
};
