// `npm run bench` must measure readouts, not refusals: the sensor map it runs thingd with sets
// limits its throughput phase never reaches. Checked with the real config loader and the real
// request gate: a burst far larger than the phase's in-flight window, all from the owner.
import { xml } from "@xmpp/xml";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, RequestGate } from "../../agent/access/gate.js";
import { parseConfig } from "../../agent/config/load.js";
import { NS_SENSORDATA } from "../../agent/protocol/ns.js";
import { benchSensorMap } from "../../scripts/lib/bench-config.js";

describe("the benchmark's sensor map", () => {
  it("lets its owner client send 50,000 requests at once without resource-constraint", () => {
    const text = benchSensorMap({ service: "xmpp://127.0.0.1:5222", caFile: "" }, "bench", "sensors:\n  - { id: s, driver: simulated, every: 1s, fields: [{ name: t, unit: \"\" }] }\n");
    const config = parseConfig(text.replace(/^ {2}tls: .*\n/m, ""), "/tmp/bench.yaml", {});
    expect(config.access.owner).toBe("reader@localhost");
    const gate = new RequestGate({
      limits: config.limits ?? DEFAULT_LIMITS, // what thingd uses without a limits section
      exempt: () => [],
      isOwner: (from) => from.startsWith("reader@localhost"),
      canRead: () => true,
    });
    let refused = 0;
    for (let i = 0; i < 50_000; i++) {
      const iq = xml("iq", { type: "get", from: "reader@localhost/bench", id: `r${i}` }, xml("req", { xmlns: NS_SENSORDATA, seqnr: String(i), momentary: "true" }));
      if (gate.check(iq)) refused++;
    }
    expect(refused).toBe(0);
  });
});
