import { describe, expect, it } from "vitest";
import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { boardFacts, expandPlaceholders, unknownPlaceholders } from "../../../agent/config/placeholders.js";
import { parseConfig } from "../../../agent/config/load.js";
import { ConfigError } from "../../../agent/errors.js";

/** A fake board root: cpuinfo, device-tree serial-number and machine-id as given (absent when undefined). */
async function board(files: { cpuinfo?: string; dtSerial?: string; machineId?: string }) {
  const root = await mkdtemp(path.join(tmpdir(), "thingd-board-"));
  const paths = { cpuinfo: path.join(root, "cpuinfo"), dtSerial: path.join(root, "dt", "serial-number"), machineId: path.join(root, "machine-id") };
  await mkdir(path.dirname(paths.dtSerial), { recursive: true });
  if (files.cpuinfo !== undefined) await writeFile(paths.cpuinfo, files.cpuinfo);
  if (files.dtSerial !== undefined) await writeFile(paths.dtSerial, files.dtSerial);
  if (files.machineId !== undefined) await writeFile(paths.machineId, files.machineId);
  return paths;
}

const eth = (mac: string, internal = false) => ({ address: "192.0.2.1", netmask: "255.255.255.0", family: "IPv4" as const, mac, internal, cidr: null });

describe("board facts", () => {
  it("serial from /proc/cpuinfo (a Pi), else the device-tree serial-number, else /etc/machine-id", async () => {
    const pi = await board({ cpuinfo: "processor\t: 0\nSerial\t\t: 10000000ABCDEF12\nModel\t: Raspberry Pi 4\n", dtSerial: "10000000abcdef12\0", machineId: "0123456789abcdef0123456789abcdef\n" });
    expect(boardFacts({ board: pi, hostname: () => "x", interfaces: () => ({}) }).serial).toBe("10000000abcdef12");
    const dtOnly = await board({ cpuinfo: "processor\t: 0\n", dtSerial: "00000000c0ffee42\0" });
    expect(boardFacts({ board: dtOnly, hostname: () => "x", interfaces: () => ({}) }).serial).toBe("00000000c0ffee42");
    const vm = await board({ machineId: "0123456789abcdef0123456789abcdef\n" });
    expect(boardFacts({ board: vm, hostname: () => "x", interfaces: () => ({}) }).serial).toBe("0123456789abcdef0123456789abcdef");
    const none = await board({});
    expect(boardFacts({ board: none, hostname: () => "x", interfaces: () => ({}) }).serial).toBeUndefined();
  });

  it("hostname made JID-safe; mac of the first non-loopback interface by name, without separators", async () => {
    const b = await board({});
    const facts = boardFacts({
      board: b,
      hostname: () => "Barn Pi#2",
      interfaces: () => ({ lo: [eth("00:00:00:00:00:00", true)], wlan0: [eth("dc:a6:32:00:00:02")], eth0: [eth("DC:A6:32:00:00:01")] }),
    });
    expect(facts).toStrictEqual({ serial: undefined, hostname: "barn-pi-2", mac: "dca632000001" });
    expect(boardFacts({ board: b, hostname: () => "h", interfaces: () => ({ lo: [eth("00:00:00:00:00:00", true)] }) }).mac).toBeUndefined();
  });

  it("expands known placeholders and names unknown ones", () => {
    const facts = { serial: "abc", hostname: "barn", mac: "dca632000001" };
    expect(expandPlaceholders("pi-{serial}@example.org", facts)).toBe("pi-abc@example.org");
    expect(expandPlaceholders("{hostname}-{mac}", facts)).toBe("barn-dca632000001");
    expect(unknownPlaceholders("x-{serail}-{serial}-{}")).toStrictEqual(["serail", ""]);
  });
});

describe("placeholders in the sensor map", () => {
  const map = (jid: string, resource: string, meta = "") => `xmpp:
  service: xmpp://127.0.0.1:5222
  jid: "${jid}"
  password: pw
  resource: "${resource}"
registry:
  meta: { MAN: example.com${meta} }
sensors:
  - { id: room, driver: simulated, every: 1s, fields: [{ name: t, unit: "°C", value: 1 }] }
`;
  const facts = () => ({ serial: "10000000abcdef12", hostname: "barn", mac: "dca632000001" });

  it("resolves xmpp.jid, xmpp.resource and registry.meta values", () => {
    const c = parseConfig(map("pi-{serial}@example.org", "{hostname}", ", LOC: 'shed {hostname}', SN2: '{mac}'"), "/tmp/x/sensors.yaml", {}, { facts });
    expect(c.xmpp.jid).toBe("pi-10000000abcdef12@example.org");
    expect(c.xmpp.resource).toBe("barn");
    expect(c.registry.meta).toStrictEqual({ MAN: "example.com", LOC: "shed barn", SN2: "dca632000001" });
  });

  it("a map without placeholders never asks the board", () => {
    const c = parseConfig(map("pi@example.org", "gw"), "/tmp/x/sensors.yaml", {}, { facts: () => { throw new Error("asked"); } });
    expect(c.xmpp.jid).toBe("pi@example.org");
  });

  it("an unknown placeholder or a fact the board lacks: file:line:col, key path, exit-78 error", () => {
    let err: unknown;
    try {
      parseConfig(map("pi-{serail}@example.org", "{mac}"), "/tmp/x/sensors.yaml", {}, { facts: () => ({ serial: "s", hostname: "h", mac: undefined }) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message.split("\n")).toStrictEqual([
      '/tmp/x/sensors.yaml:3:8 xmpp.jid: unknown placeholder {serail}, expected one of {serial} {hostname} {mac}',
      "/tmp/x/sensors.yaml:5:13 xmpp.resource: placeholder {mac} has no value on this board (no network interface with a hardware address)",
    ]);
  });
});
