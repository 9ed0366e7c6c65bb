import { describe, expect, it } from "vitest";
import { restartOnlyChanges } from "../../../agent/ops/reload.js";
import type { ThingConfig } from "../../../agent/config/types.js";

const base: ThingConfig = {
  file: "/etc/thingd/sensors.yaml",
  xmpp: { service: "xmpp://127.0.0.1:5222", services: ["xmpp://127.0.0.1:5222"], domain: "localhost", jid: "thing@localhost", password: "pw", resource: "thingd", tls: { required: true }, keepaliveSeconds: 60 },
  registry: { meta: {} },
  access: { readers: [], controllers: [] },
  stateDir: "/var/lib/thingd",
  sensors: [],
};

describe("restartOnlyChanges: limits", () => {
  it("reports a changed limits section as needing a restart, and an unchanged one not", () => {
    const limits = { requestsPerSecond: 100, burst: 200, ownerFactor: 20 };
    expect(restartOnlyChanges({ ...base, limits }, { ...base, limits: { ...limits } })).toStrictEqual([]);
    expect(restartOnlyChanges({ ...base, limits }, { ...base, limits: { ...limits, burst: 10 } })).toStrictEqual(["limits"]);
    expect(restartOnlyChanges(base, { ...base, limits })).toStrictEqual(["limits"]);
  });
});
