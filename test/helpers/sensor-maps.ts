// Sensor maps shared by e2e suites.
import type { ProsodyServer } from "../../scripts/lib/local-prosody.js";
import { localXmppSection } from "../../scripts/lib/sensor-map-yaml.js";

/**
 * The readout suites' Thing: registered with meta tags, reader@localhost allowed, and three
 * simulated sensors: room (fixed temperature and humidity), air (pm2_5) and flaky, which fails
 * while the file `failFlag` exists.
 */
export function readoutSensorMap(server: ProsodyServer, failFlag: string, roomEvery: string): string {
  return `${localXmppSection(server, { resource: "gateway", passwordFile: "./secret", keepalive: "5s" })}registry:
  jid: registry.localhost
  meta: { MAN: example.com, MODEL: pi-gateway, V: 1.5 }
access:
  readers: [reader@localhost]
state_dir: ./state
sensors:
  - id: room
    driver: simulated
    every: ${roomEvery}
    fields:
      - { name: temperature, unit: "°C", value: 21.4, decimals: 2 }
      - { name: humidity, unit: "%", value: 40.25, decimals: 1 }
  - id: air
    driver: simulated
    every: 1s
    fields:
      - { name: pm2_5, unit: "µg/m³", min: 1, max: 30, decimals: 0 }
  - id: flaky
    driver: simulated
    every: 1s
    timeout: 500ms
    fail: ${failFlag}
    fields:
      - { name: pressure, unit: hPa, value: 1013.25, decimals: 1 }
`;
}

/** A `sensors:` list item: a simulated `room` at a fixed 21.4 °C (two decimals), read every second. */
export const ROOM_SENSOR = `  - { id: room, driver: simulated, every: 1s, fields: [{ name: temperature, unit: "°C", value: 21.4, decimals: 2 }] }
`;

/**
 * thing@localhost on the listed endpoints in order (failover tests); owned by owner@localhost
 * unless `ownership` says otherwise (e.g. a registry section, to be claimed through it).
 */
export function endpointsSensorMap(services: readonly string[], caFile: string, ownership = "access: { owner: owner@localhost }"): string {
  return `xmpp:
  service: [${services.join(", ")}]
  jid: thing@localhost
  password: thing-pw
  resource: gw
  keepalive: 5s
  tls: { ca: ${caFile} }
${ownership}
state_dir: ./state
sensors:
${ROOM_SENSOR}`;
}
