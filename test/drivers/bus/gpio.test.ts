// GPIO bus layer and the gpio-input / gpio-counter drivers. Three levels:
//  1. chip lookup against fake sysfs trees (bases 512/bcm2711, 571/rp1, 0/bcm2835);
//  2. lines and drivers over a fake onoff Gpio class (same interface: read, write, watch(cb),
//     unwatch, unexport), driven edge by edge;
//  3. the REAL onoff (and its native epoll addon) against a fake /sys/class/gpio on a tmpfs,
//     inside a private mount namespace (`unshare -m`, needs root: true here and in CI). onoff
//     hard-codes /sys/class/gpio, so only a mount can redirect it. A tmpfs does not create
//     gpioN/ on a write to `export`, so the test pre-creates gpio529/; onoff then takes it as
//     already exported. Edges cannot be tested there: epoll refuses regular files (EPERM).
import { spawnSync } from "node:child_process";
import { FakeGpio, loadOnoff, type Cb } from "../../fakes/onoff.js";
import { busWith } from "../../helpers/bus.js";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openGpioLine, resolveSysfsGpio, type GpioDeps } from "../../../drivers/bus/gpio.js";
import { createBusFactory } from "../../../drivers/bus/index.js";
import { decimalsOf, gpioCounter, gpioCounterConfigSchema } from "../../../drivers/gpio/gpio-counter.js";
import { gpioInput, gpioInputConfigSchema } from "../../../drivers/gpio/gpio-input.js";
import type { DriverContext, Field } from "../../../drivers/types.js";

const log = pino({ level: "silent" });

interface Chip {
  name: string;
  base: number;
  label: string;
  ngpio: number;
}

async function fakeSysfs(chips: Chip[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "thingd-sysfs-"));
  const gpio = join(root, "class", "gpio");
  await mkdir(gpio, { recursive: true });
  await writeFile(join(gpio, "export"), "");
  for (const c of chips) {
    await mkdir(join(gpio, c.name));
    await writeFile(join(gpio, c.name, "base"), `${c.base}\n`);
    await writeFile(join(gpio, c.name, "label"), `${c.label}\n`);
    await writeFile(join(gpio, c.name, "ngpio"), `${c.ngpio}\n`);
  }
  return root;
}

const roots: string[] = [];
async function tree(chips: Chip[]): Promise<string> {
  const root = await fakeSysfs(chips);
  roots.push(root);
  return root;
}
afterEach(async () => {
  for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true });
});

describe("resolveSysfsGpio", () => {
  it("Pi 4 on kernel 6.6+: pinctrl-bcm2711 at base 512", async () => {
    const root = await tree([{ name: "gpiochip512", base: 512, label: "pinctrl-bcm2711", ngpio: 58 }]);
    expect((await resolveSysfsGpio(17, root)).sysfsNumber).toBe(529);
  });

  it("Pi 5: pinctrl-rp1 at 571 wins over a lower-base unrelated chip", async () => {
    const root = await tree([
      { name: "gpiochip512", base: 512, label: "gpio-brcmstb@107d508500", ngpio: 32 },
      { name: "gpiochip571", base: 571, label: "pinctrl-rp1", ngpio: 54 },
    ]);
    const r = await resolveSysfsGpio(17, root);
    expect(r.sysfsNumber).toBe(588);
    expect(r.chip.label).toBe("pinctrl-rp1");
  });

  it("older kernels: pinctrl-bcm2835 at base 0 (numbers equal BCM pins)", async () => {
    const root = await tree([
      { name: "gpiochip0", base: 0, label: "pinctrl-bcm2835", ngpio: 54 },
      { name: "gpiochip504", base: 504, label: "brcmvirt-gpio", ngpio: 2 },
    ]);
    expect((await resolveSysfsGpio(4, root)).sysfsNumber).toBe(4);
  });

  it("no Pi label: falls back to the lowest-base chip", async () => {
    const root = await tree([
      { name: "gpiochip600", base: 600, label: "other", ngpio: 8 },
      { name: "gpiochip100", base: 100, label: "sunxi-pinctrl", ngpio: 64 },
    ]);
    expect((await resolveSysfsGpio(3, root)).sysfsNumber).toBe(103);
  });

  it("errors: no chip, out of range, no sysfs gpio", async () => {
    const empty = await tree([]);
    await expect(resolveSysfsGpio(17, empty)).rejects.toThrow(
      `GPIO17: no gpiochip with a Raspberry Pi label under ${join(empty, "class", "gpio")} (found: none)`,
    );
    const pi4 = await tree([{ name: "gpiochip512", base: 512, label: "pinctrl-bcm2711", ngpio: 58 }]);
    await expect(resolveSysfsGpio(58, pi4)).rejects.toThrow("GPIO58: out of range, gpiochip512 (\"pinctrl-bcm2711\") has 58 lines (0..57)");
    await expect(resolveSysfsGpio(-1, pi4)).rejects.toThrow("expected a BCM pin number");
    await expect(resolveSysfsGpio(17, join(empty, "nope"))).rejects.toThrow(/class\/gpio not found: this kernel has no sysfs GPIO \(built without CONFIG_GPIO_SYSFS/);
  });
});


describe("openGpioLine over a fake onoff", () => {
  let root: string;
  let deps: GpioDeps;
  beforeEach(async () => {
    FakeGpio.instances = [];
    root = await tree([{ name: "gpiochip512", base: 512, label: "pinctrl-bcm2711", ngpio: 58 }]);
    deps = { sysfsRoot: root, loadOnoff };
  });

  it("exports the resolved number with onoff's activeLow/debounce options; reads, writes, watches, closes", async () => {
    const line = await openGpioLine({ pin: 17, direction: "in", edge: "both", activeLow: true, debounceMs: 20 }, log, deps);
    const g = FakeGpio.instances[0]!;
    expect([g.gpio, g.direction, g.edgeSetting, g.options]).toStrictEqual([529, "in", "both", { activeLow: true, debounceTimeout: 20 }]);
    expect(line.sysfsNumber).toBe(529);
    g.level = 1;
    expect(await line.read()).toBe(1);
    const seen: number[] = [];
    const off = line.watch((v) => seen.push(v));
    g.edge(0);
    g.edge(1);
    expect(seen).toStrictEqual([0, 1]);
    off();
    expect(g.listeners).toHaveLength(0);
    await line.write(1);
    expect(g.written).toStrictEqual([1]);
    await line.close();
    expect(g.unexported).toBe(true);
    await expect(line.read()).rejects.toThrow("line closed");
  });

  it("createBusFactory wires gpio to its sysfsRoot (the chip lookup runs before onoff loads)", async () => {
    const empty = await tree([]);
    const bus = createBusFactory({ sysfsRoot: empty });
    expect(bus.sysfsRoot).toBe(empty);
    await expect(bus.gpio!({ pin: 17, direction: "in" }, log)).rejects.toThrow(`under ${join(empty, "class", "gpio")}`);
    expect(createBusFactory().sysfsRoot).toBe("/sys");
  });

  it("a refused watch is reported and leaves no listener behind in onoff", async () => {
    const line = await openGpioLine({ pin: 17, direction: "in", edge: "both" }, log, deps);
    const g = FakeGpio.instances[0]!;
    g.watch = function (this: FakeGpio, cb: Cb) {
      this.listeners.push(cb); // as onoff does, before epoll refuses the fd
      throw new Error("Operation not permitted");
    };
    expect(() => line.watch(() => {})).toThrow("GPIO17 (sysfs gpio529 on gpiochip512): cannot watch edges: Operation not permitted");
    expect(g.listeners).toHaveLength(0);
    await line.close();
  });

  it("outputs get no edge; constructor errors and a missing onoff are explained", async () => {
    await openGpioLine({ pin: 5, direction: "out" }, log, deps);
    expect(FakeGpio.instances[0]!.edgeSetting).toBeUndefined();
    const failing = async () =>
      ({
        Gpio: class {
          constructor() {
            throw Object.assign(new Error("EACCES: permission denied, open '/sys/class/gpio/export'"), { code: "EACCES" });
          }
        },
      }) as unknown as typeof import("onoff");
    await expect(openGpioLine({ pin: 17, direction: "in" }, log, { sysfsRoot: root, loadOnoff: failing })).rejects.toThrow(
      /GPIO17 \(sysfs gpio529 on gpiochip512\): cannot export: EACCES.*gpio group/,
    );
  });
});

function ctxWith(root: string): DriverContext {
  const bus = busWith({ gpio: (o, l) => openGpioLine(o, l, { sysfsRoot: root, loadOnoff }), sysfsRoot: root });
  return { bus, log, id: "test" };
}

function byName(fields: Field[]): Record<string, Field> {
  return Object.fromEntries(fields.map((f) => [f.name, f]));
}

describe("gpio drivers over a fake onoff", () => {
  let root: string;
  beforeEach(async () => {
    FakeGpio.instances = [];
    root = await tree([{ name: "gpiochip571", base: 571, label: "pinctrl-rp1", ngpio: 54 }]);
  });

  it("gpio-input: state follows the level, edges count every change", async () => {
    const config = gpioInputConfigSchema.parse({ pin: 17, active_low: true });
    const sensor = await gpioInput.open(config, ctxWith(root));
    const g = FakeGpio.instances[0]!;
    expect([g.gpio, g.edgeSetting, g.options]).toStrictEqual([588, "both", { activeLow: true, debounceTimeout: 10 }]);
    const signal = new AbortController().signal;
    let f = byName(await sensor.read(signal));
    expect(f.state).toMatchObject({ type: "boolean", value: false, kind: "momentary" });
    expect(f.edges).toMatchObject({ value: 0, unit: "" });
    g.edge(1);
    g.edge(0);
    g.edge(1);
    f = byName(await sensor.read(signal));
    expect(f.state?.value).toBe(true);
    expect(f.edges?.value).toBe(3);
    await sensor.close();
    expect(g.unexported).toBe(true);
  });

  it("gpio-counter: S0 meter, 1000 imp/kWh → total kWh and rate W over the poll interval", async () => {
    const config = gpioCounterConfigSchema.parse(gpioCounter.example);
    expect(gpioCounter.describeFields(config)).toStrictEqual([
      { name: "total", type: "numeric", unit: "kWh" },
      { name: "rate", type: "numeric", unit: "W" },
    ]);
    // Taken before open(), where the driver's interval starts, so the driver's interval is never
    // longer than the one measured here (a loaded machine stretches either end).
    const start = performance.now();
    const sensor = await gpioCounter.open(config, ctxWith(root));
    const g = FakeGpio.instances[0]!;
    expect([g.gpio, g.edgeSetting]).toStrictEqual([598, "falling"]);
    const signal = new AbortController().signal;
    await sensor.read(signal);
    for (let i = 0; i < 5; i++) {
      g.edge(1); // rising edges are not reported for edge: falling
      g.edge(0);
    }
    await new Promise((r) => setTimeout(r, 200));
    const f = byName(await sensor.read(signal));
    const seconds = (performance.now() - start) / 1000;
    expect(f.total).toMatchObject({ unit: "kWh", decimals: 3 });
    expect((f.total as { value: number }).value).toBeCloseTo(0.005, 9);
    // 0.005 kWh in ~0.2 s = 90 kW; bounds from the measured interval.
    const rate = (f.rate as { value: number }).value;
    expect(f.rate).toMatchObject({ unit: "W", kind: "computed" });
    // Node's timers may fire a fraction of a millisecond early: allow 190 ms for the 200 ms wait.
    expect(rate).toBeLessThanOrEqual(0.005 * 3_600_000 / 0.19);
    expect(rate).toBeGreaterThanOrEqual(0.005 * 3_600_000 / seconds - 1);
    // No pulses since: rate drops to 0, total stays.
    const again = byName(await sensor.read(signal));
    expect(again.rate?.value).toBe(0);
    expect((again.total as { value: number }).value).toBeCloseTo(0.005, 9);
    await sensor.close();
  });

  it("gpio-counter: water meter in litres, l/min by default, start_total; unit pairs are checked", async () => {
    const config = gpioCounterConfigSchema.parse({ pin: 22, per_pulse: { value: 1, unit: "l" }, start_total: 100 });
    expect(gpioCounter.describeFields(config).map((f) => f.unit)).toStrictEqual(["l", "l/min"]);
    const sensor = await gpioCounter.open(config, ctxWith(root));
    FakeGpio.instances[0]!.edge(0);
    const f = byName(await sensor.read(new AbortController().signal));
    expect(f.total).toMatchObject({ value: 101, unit: "l", decimals: 0 });
    await sensor.close();
    const bad = gpioCounterConfigSchema.safeParse({ pin: 22, per_pulse: { value: 1, unit: "l" }, rate_unit: "W" });
    expect(bad.error?.issues[0]?.message).toBe("expected a rate unit for \"l\": one of l/min m³/h");
    expect(gpioCounterConfigSchema.safeParse({ pin: 22, per_pulse: { value: 1, unit: "°C" } }).success).toBe(false);
    expect([decimalsOf(0.001), decimalsOf(0.5), decimalsOf(10), decimalsOf(1e-7)]).toStrictEqual([3, 1, 0, 7]);
  });
});

// Level 3: the real onoff. Requirements are checked, not assumed: when one is missing the test
// FAILS with the reason (a silent skip would hide that the real library is never exercised).
describe("real onoff in a private mount namespace", () => {
  it("reads the value file of gpio529 (GPIO17 on gpiochip512 / pinctrl-bcm2711)", () => {
    expect(process.platform, "needs Linux mount namespaces").toBe("linux");
    expect(process.getuid?.(), "needs root for unshare -m and mount -t tmpfs").toBe(0);
    const unshare = spawnSync("unshare", ["--version"], { encoding: "utf8" });
    expect(unshare.error, "needs unshare from util-linux").toBeUndefined();
    // The script imports the compiled bus layer (`npm test` runs tsc first).
    const compiled = resolve("dist/drivers/bus/gpio.js");
    expect(existsSync(compiled), `${compiled} missing: run npx tsc -p tsconfig.json first`).toBe(true);
    const script = `
      import { mkdirSync, writeFileSync } from "node:fs";
      import { openGpioLine } from ${JSON.stringify(compiled)};
      const d = "/sys/class/gpio";
      mkdirSync(d + "/gpiochip512");
      writeFileSync(d + "/gpiochip512/base", "512\\n");
      writeFileSync(d + "/gpiochip512/label", "pinctrl-bcm2711\\n");
      writeFileSync(d + "/gpiochip512/ngpio", "58\\n");
      writeFileSync(d + "/export", "");
      writeFileSync(d + "/unexport", "");
      mkdirSync(d + "/gpio529");
      for (const [f, v] of [["value", "1\\n"], ["direction", "in\\n"], ["edge", "none\\n"], ["active_low", "0\\n"]]) writeFileSync(d + "/gpio529/" + f, v);
      const log = { debug() {}, warn() {}, info() {}, error() {} };
      const line = await openGpioLine({ pin: 17, direction: "in", edge: "both" }, log);
      const first = await line.read();
      writeFileSync(d + "/gpio529/value", "0\\n");
      const second = await line.read();
      let watchError = "";
      try { line.watch(() => {}); } catch (e) { watchError = e.message; }
      const edge = (await import("node:fs")).readFileSync(d + "/gpio529/edge", "utf8").trim();
      await line.close();
      console.log(JSON.stringify({ sysfsNumber: line.sysfsNumber, first, second, edge, watchError }));
    `;
    // /sys/class/gpio exists only on kernels with GPIO sysfs; elsewhere cover /sys/class instead.
    const sh = `set -e
      if [ -d /sys/class/gpio ]; then mount -t tmpfs none /sys/class/gpio
      else mount -t tmpfs none /sys/class && mkdir /sys/class/gpio; fi
      exec node --input-type=module -e "$1"`;
    const run = spawnSync("unshare", ["-m", "--propagation", "private", "sh", "-c", sh, "sh", script], {
      encoding: "utf8",
      cwd: process.cwd(),
      timeout: 20_000,
    });
    expect(run.stderr, "child stderr").toBe("");
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    expect(out).toMatchObject({ sysfsNumber: 529, first: 1, second: 0, edge: "both" });
    // epoll on a tmpfs file fails (EPERM): the error names the line instead of crashing.
    expect(out.watchError).toMatch(/^GPIO17 \(sysfs gpio529 on gpiochip512\): cannot watch edges/);
  });
});
