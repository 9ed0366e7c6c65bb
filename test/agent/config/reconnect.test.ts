// `xmpp.reconnect`: the back-off settings (short ones drive the chaos tests' cycles).
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../agent/config/load.js";
import { ConfigError } from "../../../agent/errors.js";

const map = (reconnect: string) => `xmpp:
  service: xmpp://example.org
  jid: thing@example.org
  password: pw
${reconnect}sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", value: 21.4, decimals: 2 }] }
`;

describe("xmpp.reconnect", () => {
  it("absent: no override (the supervisor's defaults apply)", () => {
    expect(parseConfig(map(""), "/etc/thingd/sensors.yaml", {}).xmpp.reconnect).toBeUndefined();
  });

  it("given: both policies in ms, unset keys at their defaults, a max below its min raised to it", () => {
    const config = parseConfig(map("  reconnect: { min: 20ms, max: 10ms, conflict_min: 2m }\n"), "/etc/thingd/sensors.yaml", {});
    expect(config.xmpp.reconnect).toStrictEqual({ network: { baseMs: 20, capMs: 20 }, conflict: { baseMs: 120_000, capMs: 900_000 } });
  });

  it("a malformed duration is a config problem naming the key", () => {
    let err: unknown;
    try {
      parseConfig(map("  reconnect: { conflict_max: soon }\n"), "/etc/thingd/sensors.yaml", {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/xmpp\.reconnect\.conflict_max: expected a duration like "10s", got "soon"/);
  });
});
