// The validated, resolved configuration. Produced by loadConfig() in ./load.ts.
// Key names follow the sensor map (README "Sensor map reference"); paths are absolute.

export interface TlsConfig {
  /** Absolute path of an extra trusted CA bundle (PEM), from `xmpp.tls.ca`. */
  ca?: string;
  /** STARTTLS (xmpp://) is required unless `xmpp.tls.required: false` (loopback testing only). */
  required: boolean;
}

export interface XmppConfig {
  /** `xmpp://host:port` (STARTTLS) or `xmpps://host:port` (direct TLS): the first configured endpoint, else the domain on 5222. */
  service: string;
  /** Every configured endpoint, tried in order; empty: found by DNS SRV (transport/endpoints.ts). */
  services: string[];
  /** XMPP domain; defaults to the JID's domain. The TLS certificate is checked against it. */
  domain: string;
  /** Bare JID of the Thing's account. */
  jid: string;
  /** From THINGD_PASSWORD, else `password`, else the first line of `password_file`. */
  password: string;
  /** Where the password came from ("none": a command that does not log in, without one). */
  passwordSource?: ResolvedPassword["source"];
  /** Absolute path of `password_file`, when the password came from it. */
  passwordFile?: string;
  resource: string;
  tls: TlsConfig;
  /** Seconds between keepalive pings to the server (`keepalive`, default 60). */
  keepaliveSeconds: number;
  /** `register: true`: create the account by XEP-0077 on first start (password kept in state_dir). */
  register?: { invite?: string };
  /** `reconnect`: back-off after a lost connection (`min`/`max`) and after a conflict (`conflict_min`/`conflict_max`). */
  reconnect?: ReconnectConfig;
  /** `stream_management: false` turns XEP-0198 (acknowledgements, resumption) off; on when absent. */
  streamManagement?: boolean;
}

export interface ReconnectConfig {
  network: { baseMs: number; capMs: number };
  conflict: { baseMs: number; capMs: number };
}

/** The XMPP password and where it came from. */
export interface ResolvedPassword {
  value: string;
  /** "none": a command that does not log in, and no password was at hand. */
  source: "env" | "inline" | "file" | "none";
  /** The password file, for the permission warning (./secrets.ts). */
  file?: string;
}

export type MetaValue = string | number;

export interface RegistryConfig {
  /** XEP-0347 registry address (component domain or bare JID). */
  jid?: string;
  /** Meta tags: strings become <str>, numbers <num>. */
  meta: Record<string, MetaValue>;
}

export interface AccessConfig {
  owner?: string;
  readers: string[];
  /** Bare JIDs that may use XEP-0325 control besides the owner. */
  controllers: string[];
}

export interface ProvisioningConfig {
  /** XEP-0324 provisioning server address (component domain or bare JID). */
  jid: string;
  /** How long an answer is cached (`cache`, default 1h). */
  cacheMs: number;
  /** No answer within this time is a deny (`timeout`, default 10s). */
  timeoutMs: number;
}

export type Schedule = { kind: "every"; ms: number } | { kind: "cron"; expression: string };

export interface SensorConfig {
  /** XEP-0323 nodeId. */
  id: string;
  driver: string;
  schedule: Schedule;
  /** Per-read timeout (`timeout`, default: the poll interval, capped at 10 s). */
  timeoutMs: number;
  /** Nominal poll period in ms (for cron: the gap between two runs), used for cache freshness. */
  periodMs: number;
  /** Driver-specific keys, already validated against the driver's configSchema. */
  options: unknown;
}

export interface HistoryConfig {
  enabled: boolean;
  /** Absolute folder of the history segments (`history.path`, default <stateDir>/history). */
  dir: string;
  keepMs: number;
  maxBytes: number;
  flushMs: number;
  maxFieldsPerRequest: number;
}

/** Per-requester rate limits (`limits`), see agent/access/gate.ts. */
export interface LimitsConfig {
  /** Sustained requests per second per bare JID (`requests_per_second`). */
  requestsPerSecond: number;
  /** Requests allowed at once after an idle spell (`burst`). */
  burst: number;
  /** The owner's rate and burst are this many times the others' (`owner_factor`). */
  ownerFactor: number;
}

/** When an alert rule holds (`alerts[]`, README "Alerts"). */
export type AlertCondition =
  | { kind: "above"; value: number; clear: number }
  | { kind: "below"; value: number; clear: number }
  | { kind: "stale"; ms: number }
  | { kind: "failing" };

/** One `alerts[]` rule. */
export interface AlertConfig {
  /** Shown in messages, e.g. "air pm2_5 above 35". */
  name: string;
  sensor: string;
  field?: string;
  condition: AlertCondition;
  /** Bare JIDs, or "owner" (default). */
  to: string[];
  /** Send again this often while the rule holds (`repeat`; none: once). */
  repeatMs?: number;
}

/** Event subscription limits (`subscriptions`, see agent/events/manager.ts). */
export interface SubscriptionLimits {
  /** Per subscriber bare JID (`per_jid`, default 10). */
  perJid: number;
  /** In all (`total`, default 500). */
  total: number;
}

export interface ThingConfig {
  /** Absolute path of the config file. */
  file: string;
  xmpp: XmppConfig;
  registry: RegistryConfig;
  access: AccessConfig;
  /** Only when the sensor map has a `provisioning` section. */
  provisioning?: ProvisioningConfig;
  /** Absolute path (`state_dir`; default $STATE_DIRECTORY, /var/lib/thingd or ~/.local/state/thingd: ./state-dir.ts). */
  stateDir: string;
  sensors: SensorConfig[];
  /** The `history` section; loadConfig always sets it (optional for hand-built configs). */
  history?: HistoryConfig;
  /** From the `limits` section; absent = DEFAULT_LIMITS (agent/access/gate.ts). */
  limits?: LimitsConfig;
  /** From the `subscriptions` section; absent = DEFAULT_EVENT_LIMITS (agent/events/manager.ts). */
  subscriptions?: SubscriptionLimits;
  /** The `alerts` section; absent = none. */
  alerts?: AlertConfig[];
}
