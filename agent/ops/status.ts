// What `thingd status` shows: a snapshot of the running daemon (XMPP session, registration,
// process, each sensor's last reading and errors). It is served by ./status-server.ts, read by
// ./status-client.ts and printed by ./status-format.ts.
import type { Field } from "../../drivers/types.js";
import type { Poller } from "../sensors/poller.js";
import { formatDecimal } from "../protocol/xsd.js";
import { fieldValueText } from "../protocol/field-value.js";
import type { RegistrationStatus, ThingState } from "../ownership/state.js";
import type { SessionState } from "../transport/supervisor.js";
import type { FailureKind, XmppProblem } from "../transport/failure.js";
import type { ClockSync } from "./clock.js";

export const STATUS_SOCKET = "thingd.sock";
export const STATUS_FILE = "status.json";
export const STATUS_FILE_INTERVAL_MS = 10_000;

export interface SensorStatus {
  id: string;
  driver: string;
  /** When the last successful read finished. */
  lastReadAt?: string;
  /** Seconds from lastReadAt to the snapshot. */
  ageSeconds?: number;
  lastValues: Array<{ name: string; value: string; unit?: string }>;
  errorCount: number;
  readCount: number;
  lastError?: string;
  lastErrorAt?: string;
  /** The latest attempt failed (an error newer than the last good read). */
  failing: boolean;
}

export interface StatusSnapshot {
  version: string;
  pid: number;
  startedAt: string;
  /** When this snapshot was taken: how stale a status.json copy is. */
  generatedAt: string;
  uptimeSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
  xmpp: { state: SessionState; jid: string; connectedSince?: string; problem?: ProblemStatus };
  registry: { jid?: string; status: RegistrationStatus; owner?: string };
  /** The wall clock's sync state (./clock.ts); readings held back from history until the sync. */
  clock?: { state: ClockSync; heldReadings?: number };
  sensors: SensorStatus[];
}

/** Why the session is down (agent/transport/failure.ts), while it is. */
export interface ProblemStatus {
  kind: FailureKind;
  summary: string;
  detail: string;
  since: string;
  retryAt: string;
}

/** What the snapshot needs of a Poller (agent/sensors/poller.ts). */
export type PollerView = Pick<Poller, "latest" | "lastError" | "errorCount" | "readCount" | "options">;

/** What the snapshot needs of the Supervisor (agent/transport/supervisor.ts). */
export interface SupervisorView {
  state: SessionState;
  connectedSince: Date | undefined;
  problem?: XmppProblem | undefined;
  current?: { entity: { jid: { toString(): string } | null } } | undefined;
}

export interface StatusInputs {
  pollers: readonly PollerView[];
  supervisor: SupervisorView;
  /** Only these fields: the claim KEY must never reach a socket or a file others may read. */
  state: Pick<ThingState, "status" | "registry" | "owner">;
  /** The configured bare JID, shown while there is no session (and so no full JID). */
  jid: string;
  /** The configured registry, shown before the state names one. */
  registryJid?: string | undefined;
  startedAt: Date;
  version: string;
  memoryUsage: Pick<NodeJS.MemoryUsage, "rss" | "heapUsed">;
  pid: number;
  now: Date;
  clock?: { state: ClockSync; heldReadings?: number };
}

/** Pure: everything it reads comes in `inputs`. */
export function buildStatusSnapshot(inputs: StatusInputs): StatusSnapshot {
  const { supervisor, state, now } = inputs;
  const online = supervisor.state === "online";
  const fullJid = online ? supervisor.current?.entity.jid?.toString() : undefined;
  const registry = state.registry ?? inputs.registryJid;
  return {
    version: inputs.version,
    pid: inputs.pid,
    startedAt: inputs.startedAt.toISOString(),
    generatedAt: now.toISOString(),
    uptimeSeconds: Math.max(0, Math.round((now.getTime() - inputs.startedAt.getTime()) / 1000)),
    rssBytes: inputs.memoryUsage.rss,
    heapUsedBytes: inputs.memoryUsage.heapUsed,
    xmpp: {
      state: supervisor.state,
      jid: fullJid || inputs.jid,
      ...(online && supervisor.connectedSince ? { connectedSince: supervisor.connectedSince.toISOString() } : {}),
      ...(!online && supervisor.problem ? { problem: problemStatus(supervisor.problem) } : {}),
    },
    registry: { ...(registry ? { jid: registry } : {}), status: state.status, ...(state.owner ? { owner: state.owner } : {}) },
    ...(inputs.clock ? { clock: inputs.clock } : {}),
    sensors: inputs.pollers.map((p) => sensorStatus(p, now.getTime())),
  };
}

function problemStatus(p: XmppProblem): ProblemStatus {
  return { kind: p.kind, summary: p.summary, detail: p.detail, since: p.since.toISOString(), retryAt: p.retryAt.toISOString() };
}

/**
 * The XMPP part of sd_notify STATUS= (one short line): the state, or what keeps the session
 * down when it is something a person must fix.
 */
export function xmppStatusText(state: SessionState, problem: Pick<XmppProblem, "kind"> | undefined): string {
  if (state !== "online" && problem) {
    switch (problem.kind) {
      case "conflict":
        return "XMPP: replaced by another login (two boards with one identity?)";
      case "auth":
        return "XMPP: login refused (check the password file)";
      case "network":
        break;
    }
  }
  return `XMPP ${state}`;
}

function sensorStatus(p: PollerView, now: number): SensorStatus {
  const { latest, lastError } = p;
  return {
    id: p.options.id,
    driver: p.options.driver,
    ...(latest ? { lastReadAt: new Date(latest.at).toISOString(), ageSeconds: Math.max(0, Math.round((now - latest.at) / 1000)) } : {}),
    lastValues: latest ? latest.fields.map(fieldValue) : [],
    errorCount: p.errorCount,
    readCount: p.readCount,
    ...(lastError ? { lastError: lastError.error.message, lastErrorAt: new Date(lastError.at).toISOString() } : {}),
    // Same rule as Poller.fresh(): a failure after the last good read means "failing now".
    failing: lastError !== undefined && lastError.at > (latest?.at ?? -Infinity),
  };
}

function fieldValue(f: Field): { name: string; value: string; unit?: string } {
  if (f.type === "numeric") return { name: f.name, value: formatDecimal(f.value, f.decimals), ...(f.unit ? { unit: f.unit } : {}) };
  return { name: f.name, value: fieldValueText(f) };
}

export function isHealthy(snapshot: StatusSnapshot): boolean {
  return snapshot.xmpp.state === "online" && !snapshot.sensors.some((s) => s.failing);
}

/**
 * The at-a-glance text: XMPP, registry and process lines, then one row per sensor. A stale
 * snapshot (from status.json) says so first, with its age; its own ages are as of then.
 */
