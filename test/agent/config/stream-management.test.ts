// `xmpp.stream_management`: XEP-0198 is on unless turned off.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../agent/config/load.js";
import { ConfigError } from "../../../agent/errors.js";

const map = (line: string) => `xmpp:
  service: xmpp://example.org
  jid: thing@example.org
  password: pw
${line}sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", value: 21.4, decimals: 2 }] }
`;

describe("xmpp.stream_management", () => {
  it("absent or true: on (no override)", () => {
    expect(parseConfig(map(""), "/etc/thingd/sensors.yaml", {}).xmpp.streamManagement).toBeUndefined();
    expect(parseConfig(map("  stream_management: true\n"), "/etc/thingd/sensors.yaml", {}).xmpp.streamManagement).toBeUndefined();
  });

  it("false: off", () => {
    expect(parseConfig(map("  stream_management: false\n"), "/etc/thingd/sensors.yaml", {}).xmpp.streamManagement).toBe(false);
  });

  it("anything else is a config problem naming the key", () => {
    let err: unknown;
    try {
      parseConfig(map("  stream_management: maybe\n"), "/etc/thingd/sensors.yaml", {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/xmpp\.stream_management: expected true or false/);
  });
});
