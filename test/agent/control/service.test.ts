// The XEP-0325 service over real pollers: gpio-output on the fake onoff, simulated sensors
// (no XMPP server needed; test/e2e/control.e2e.test.ts covers the wire).
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { xml, type Element } from "@xmpp/xml";
import { AccessPolicy } from "../../../agent/access/policy.js";
import { ControlService, type ControlAuthorizer } from "../../../agent/control/service.js";
import { Poller } from "../../../agent/sensors/poller.js";
import { SensorSet } from "../../../agent/sensors/sensor-set.js";
import { createBusFactory } from "../../../drivers/bus/index.js";
import { NS_CONTROL } from "../../../agent/protocol/ns.js";
import { IqRouter } from "../../../agent/transport/iq-router.js";
import { openGpioLine } from "../../../drivers/bus/gpio.js";
import { gpioOutput, gpioOutputConfigSchema } from "../../../drivers/gpio/gpio-output.js";
import { simulated, simulatedConfigSchema } from "../../../drivers/simulated.js";
import { FakeGpio, loadOnoff } from "../../fakes/onoff.js";
import { busWith } from "../../helpers/bus.js";

const log = pino({ level: "silent" });
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "thingd-ctl-"));
  const chip = join(root, "class", "gpio", "gpiochip0");
  await mkdir(chip, { recursive: true });
  await writeFile(join(chip, "base"), "0\n");
  await writeFile(join(chip, "label"), "pinctrl-bcm2835\n");
  await writeFile(join(chip, "ngpio"), "54\n");
});
afterAll(() => rm(root, { recursive: true, force: true }));
beforeEach(() => {
  FakeGpio.instances = [];
});

async function relay(id: string, pin: number, extra: Record<string, unknown> = {}): Promise<Poller> {
  const bus = busWith({ gpio: (o, l) => openGpioLine(o, l, { sysfsRoot: root, loadOnoff }), sysfsRoot: root });
  const sensor = await gpioOutput.open(gpioOutputConfigSchema.parse({ pin, field: "relay", ...extra }), { bus, log, id });
  return new Poller({ id, driver: "gpio-output", periodMs: 3_600_000, timeoutMs: 500 }, sensor, log);
}

async function room(): Promise<Poller> {
  const sensor = await simulated.open(simulatedConfigSchema.parse({ fields: [{ name: "t", unit: "°C", value: 1, decimals: 0 }] }), { bus: undefined as never, log, id: "room" });
  return new Poller({ id: "room", driver: "simulated", periodMs: 60_000, timeoutMs: 300 }, sensor, log);
}

const setEl = (...c: Element[]) => xml("set", { xmlns: NS_CONTROL, serviceToken: "st" }, ...c);
const bool = (name: string, value: string) => xml("boolean", { name, value });

/** The reply to a <set>, through the real router (which answers refusals). */
async function call(svc: ControlService, from: string, child: Element): Promise<Element> {
  const router = new IqRouter(log, "x").on("set", NS_CONTROL, "set", svc.handleSet);
  const out = await router.dispatch(xml("iq", { type: "set", from, to: "thing@x/gw", id: "c1" }, child));
  expect(out?.send).toHaveLength(1);
  expect(out?.followUp).toBeUndefined();
  return out!.send[0]!;
}

const code = (reply: Element) => reply.getChild("setResponse", NS_CONTROL)?.attrs.responseCode;

describe("ControlService", () => {
  it("has parameters only when some node is writable (disco#info advertises control then)", async () => {
    const r = await room();
    const a = await relay("a", 4);
    const pollers: Poller[] = [r];
    const svc = new ControlService(() => pollers, () => true, log);
    expect(svc.hasParameters).toBe(false);
    pollers.push(a);
    expect(svc.hasParameters).toBe(true);
    await a.close();
  });

  it("asks the injected authorizer with the nodes, parameter names and tokens; a deny is forbidden", async () => {
    const a = await relay("a", 4);
    const b = await relay("b", 5);
    const asked: unknown[] = [];
    let allow = false;
    const authorize: ControlAuthorizer = async (...args) => (asked.push(args), allow);
    const svc = new ControlService(() => [a, b], authorize, log);
    expect(code(await call(svc, "someone@x/app", setEl(bool("relay", "true"))))).toBe("InsufficientPrivileges");
    expect(asked).toStrictEqual([["someone@x/app", ["a", "b"], ["relay"], { serviceToken: "st" }]]);
    expect(FakeGpio.instances.map((g) => g.level)).toStrictEqual([0, 0]);
    allow = true;
    expect(code(await call(svc, "someone@x/app", setEl(xml("node", { nodeId: "b" }), bool("relay", "true"))))).toBe("OK");
    expect(asked[1]).toStrictEqual(["someone@x/app", ["b"], ["relay"], { serviceToken: "st" }]);
    expect(FakeGpio.instances.map((g) => g.level)).toStrictEqual([0, 1]);
    // The write refreshed the node's cache: the next readout shows the new value without a read.
    expect(b.fresh()?.fields).toMatchObject([{ name: "relay", value: true, writable: true }]);
    await Promise.all([a.close(), b.close()]);
  });

  it("a pulse ending by itself drops the cached reading, so the next readout shows it off", async () => {
    const a = await relay("a", 4, { pulse: "50ms" });
    const svc = new ControlService(() => [a], () => true, log);
    expect(code(await call(svc, "owner@x/app", setEl(bool("relay", "true"))))).toBe("OK");
    expect(a.fresh()?.fields[0]?.value).toBe(true);
    await expect.poll(() => a.fresh(), { timeout: 2_000 }).toBeUndefined();
    expect((await a.momentary()).fields[0]?.value).toBe(false);
    expect(a.fresh()?.fields[0]?.value).toBe(false);
    await a.close();
  });

  it("outputs go to their safe state when a reload removes or changes them, and on shutdown", async () => {
    const sensors = new SensorSet(createBusFactory({ sysfsRoot: root, gpioLoadOnoff: loadOnoff }), log);
    const entry = (id: string, pin: number, options: Record<string, unknown> = {}) => ({
      id, driver: "gpio-output", schedule: { kind: "every" as const, ms: 3_600_000 }, periodMs: 3_600_000, timeoutMs: 500,
      options: gpioOutputConfigSchema.parse({ pin, ...options }),
    });
    await sensors.apply([entry("a", 4), entry("b", 5, { safe_state: "on" })]);
    const svc = new ControlService(() => sensors.pollers, () => true, log);
    expect(code(await call(svc, "owner@x/app", setEl(bool("output", "true"))))).toBe("OK");
    // The two outputs open concurrently: find each by its line, not by construction order.
    const [a, b] = [...FakeGpio.instances].sort((x, y) => x.gpio - y.gpio);
    expect([a!.physical, b!.physical]).toStrictEqual([1, 1]);
    await sensors.apply([entry("b", 5, { safe_state: "on", initial: "off" })]); // a removed; b's options unchanged
    expect([a!.physical, a!.unexported, b!.unexported]).toStrictEqual([0, true, false]);
    expect(code(await call(svc, "owner@x/app", setEl(bool("output", "false"))))).toBe("OK");
    await sensors.close();
    expect([b!.physical, b!.unexported]).toStrictEqual([1, true]);
  });

  it("by default the owner and access.controllers may control, readers may not", async () => {
    const access = new AccessPolicy(["reader@x"], () => "owner@x", undefined, ["Switch@X"]);
    expect(["owner@x/a", "switch@x/b", "reader@x/c", "stranger@x/d", ""].map((j) => access.canControl(j))).toStrictEqual([true, true, false, false, false]);
    access.setControllers([]);
    expect(access.canControl("switch@x/b")).toBe(false);
    expect(access.canRead("switch@x/b")).toBe(false);
  });

  it("a failing write is internal-server-error / OtherError naming the parameter; later parameters are not applied", async () => {
    const a = await relay("a", 4);
    const g = FakeGpio.instances[0]!;
    g.write = async () => {
      throw new Error("EIO: i/o error, write");
    };
    const svc = new ControlService(() => [a], () => true, log);
    const reply = await call(svc, "owner@x/app", setEl(bool("relay", "true")));
    expect(code(reply)).toBe("OtherError");
    expect(reply.getChild("error")!.getChild("internal-server-error")).toBeDefined();
    const pe = reply.getChild("error")!.getChild("paramError", NS_CONTROL)!;
    expect([pe.attrs.var, pe.text()]).toStrictEqual(["relay", 'Setting "relay" on "a" failed: EIO: i/o error, write']);
    await a.close();
  });

  it("a <set> in a message never yields a reply and does not throw on errors", async () => {
    const a = await relay("a", 4);
    const svc = new ControlService(() => [a], (from) => from.startsWith("owner@"), log);
    const msg = (from: string, set: Element) => xml("message", { from, to: "thing@x/gw" }, set);
    const s1 = setEl(bool("relay", "true"));
    expect(await svc.handleMessage(msg("owner@x/app", s1), s1)).toBeUndefined();
    expect(FakeGpio.instances[0]!.level).toBe(1);
    const s2 = setEl(bool("nope", "true"));
    expect(await svc.handleMessage(msg("owner@x/app", s2), s2)).toBeUndefined();
    const s3 = setEl(bool("relay", "false"));
    await svc.handleMessage(msg("stranger@x/app", s3), s3);
    expect(FakeGpio.instances[0]!.level).toBe(1);
    await a.close();
  });
});
