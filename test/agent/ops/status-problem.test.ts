// What `thingd status` and sd_notify STATUS= say while the XMPP session is down for a reason a
// person must fix: replaced by another login (two boards, one identity), login refused.
import { describe, expect, it } from "vitest";
import { buildStatusSnapshot, xmppStatusText, type SupervisorView } from "../../../agent/ops/status.js";
import { formatStatus } from "../../../agent/ops/status-format.js";
import { authDetail, conflictDetail, PROBLEM_SUMMARY, type XmppProblem } from "../../../agent/transport/failure.js";

const now = new Date("2026-12-02T10:00:00.000Z");

function snapshot(supervisor: SupervisorView) {
  return buildStatusSnapshot({
    pollers: [],
    supervisor,
    state: { status: "REGISTERED" },
    jid: "thing@example.org",
    startedAt: new Date("2026-12-02T09:00:00.000Z"),
    version: "0.1.0",
    memoryUsage: { rss: 1, heapUsed: 1 },
    pid: 7,
    now,
  });
}

const conflict: XmppProblem = {
  kind: "conflict",
  summary: PROBLEM_SUMMARY.conflict,
  detail: conflictDetail("thing@example.org/gateway"),
  since: new Date("2026-12-02T09:58:00.000Z"),
  retryAt: new Date("2026-12-02T10:04:10.000Z"),
};

describe("a conflict in the status", () => {
  it("the snapshot carries the problem while offline, and the text names the likely cause and the next attempt", () => {
    const s = snapshot({ state: "offline", connectedSince: undefined, problem: conflict });
    expect(s.xmpp.problem).toStrictEqual({
      kind: "conflict",
      summary: "replaced by another login",
      detail: "another client logged in as thing@example.org/gateway — two boards with the same identity? a cloned image?",
      since: "2026-12-02T09:58:00.000Z",
      retryAt: "2026-12-02T10:04:10.000Z",
    });
    const text = formatStatus(s, true, now.getTime()).split("\n");
    expect(text.slice(0, 3)).toStrictEqual([
      "XMPP      offline  thing@example.org",
      "          replaced by another login since 2026-12-02T09:58:00.000Z; next attempt in 4m 10s",
      "          another client logged in as thing@example.org/gateway — two boards with the same identity? a cloned image?",
    ]);
  });

  it("online again: no problem shown", () => {
    const s = snapshot({ state: "online", connectedSince: now, problem: conflict });
    expect(s.xmpp.problem).toBeUndefined();
  });
});

describe("xmppStatusText (sd_notify STATUS=)", () => {
  it("says what a person must fix, else the state", () => {
    expect(xmppStatusText("offline", { kind: "conflict" })).toBe("XMPP: replaced by another login (two boards with one identity?)");
    expect(xmppStatusText("connecting", { kind: "auth" })).toBe("XMPP: login refused (check the password file)");
    expect(xmppStatusText("offline", { kind: "network" })).toBe("XMPP offline");
    expect(xmppStatusText("online", { kind: "auth" })).toBe("XMPP online");
    expect(xmppStatusText("offline", undefined)).toBe("XMPP offline");
  });

  it("the refused login's log line names the account and the password file", () => {
    expect(authDetail("thing@example.org")).toBe("authentication failed for thing@example.org: check the password file");
  });
});
