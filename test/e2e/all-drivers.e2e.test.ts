// examples/all-drivers.yaml (generated from the driver registry) read through `thingd read`'s code
// path (readAllOnce) with every device emulated. Nothing here names a driver: each driver's test
// folder declares its device in a `<name>.fixture.ts` (test/helpers/driver-fixture.ts): I2C chips
// behind the i2c-bus-shaped FakeI2cBus, serial devices on the far end of socat pty pairs,
// 1-wire/IIO/GPIO in a sysfs folder tree with onoff replaced by its fake.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, expect, it } from "vitest";
import { pino } from "pino";
import { loadConfig } from "../../agent/config/load.js";
import { formatReadings, readAllOnce } from "../../agent/sensors/read-once.js";
import { createBusFactory } from "../../drivers/bus/index.js";
import { exampleDrivers, exampleSensorId } from "../../scripts/lib/all-drivers-example.js";
import { FakeGpio, loadOnoff } from "../fakes/onoff.js";
import { DriverRig, type DriverFixture } from "../helpers/driver-fixture.js";

const EXAMPLE = fileURLToPath(new URL("../../examples/all-drivers.yaml", import.meta.url));
const DRIVER_TESTS = fileURLToPath(new URL("../drivers/", import.meta.url));

/** Every `fixtures` export of test/drivers/**\/*.fixture.ts, by driver name. */
async function loadFixtures(): Promise<Map<string, DriverFixture>> {
  const files = (await readdir(DRIVER_TESTS, { recursive: true })).filter((f) => f.endsWith(".fixture.ts")).sort();
  const byDriver = new Map<string, DriverFixture>();
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(DRIVER_TESTS, file)).href)) as { fixtures?: DriverFixture[] };
    if (!mod.fixtures) throw new Error(`${file} exports no \`fixtures\``);
    for (const f of mod.fixtures) {
      if (byDriver.has(f.driver)) throw new Error(`two fixtures for driver ${f.driver} (one in ${file})`);
      byDriver.set(f.driver, f);
    }
  }
  return byDriver;
}

let rig: DriverRig | undefined;
afterAll(async () => {
  await rig?.close();
  if (rig) await rm(rig.dir, { recursive: true, force: true });
});

it("reads every field of every driver in examples/all-drivers.yaml, each numeric one with its unit", async () => {
  const fixtures = await loadFixtures();
  const missing = exampleDrivers()
    .filter((d) => !fixtures.has(d.name))
    .map((d) => d.name);
  expect(missing, "drivers without a test/drivers/**/<name>.fixture.ts declaring their device").toStrictEqual([]);

  rig = new DriverRig(await mkdtemp(path.join(tmpdir(), "thingd-all-")));
  const config = await loadConfig(EXAMPLE, { THINGD_PASSWORD: "unused" });
  for (const s of config.sensors) {
    const fixture = fixtures.get(s.driver);
    if (!fixture) throw new Error(`no fixture for ${s.driver}`);
    const replace = await fixture.attach(rig, s.options as Record<string, unknown>);
    if (replace) Object.assign(s.options as Record<string, unknown>, replace);
  }
  FakeGpio.instances = [];
  const factory = createBusFactory({ i2cOpenBus: rig.openI2c, sysfsRoot: rig.sysfsRoot, gpioLoadOnoff: loadOnoff, serialBackoff: { initialDelayMs: 50 } });

  const readings = await readAllOnce(config, pino({ level: "silent" }), factory, { outputs: true }); // every driver, outputs included (`thingd read --outputs`)
  console.log(formatReadings(readings));
  expect(readings.filter((r) => r.error)).toStrictEqual([]);
  expect(readings.map((r) => r.driver).sort()).toStrictEqual(
    exampleDrivers()
      .map((d) => d.name)
      .sort(),
  );
  for (const r of readings) {
    expect(r.fields.length, r.sensor).toBeGreaterThan(0);
    for (const f of r.fields) if (typeof f.value === "number") expect(f.unit, `${r.sensor}.${f.name}`).toBeDefined();
    const got = Object.fromEntries(r.fields.map((f) => [f.name, f.value]));
    expect(r.sensor).toBe(exampleSensorId(r.driver));
    expect(got, r.sensor).toMatchObject(fixtures.get(r.driver)!.expected);
  }
}, 30_000);
