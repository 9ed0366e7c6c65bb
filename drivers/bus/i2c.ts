// The one loader of `i2c-bus`, and the adapters `thingd scan-i2c` opens with it (sensor reads go
// through ./i2c-device.ts, which loads the module here too). The module is a native addon
// compiled at install time, and most boards running thingd have no I2C sensor, so it loads
// lazily, and a missing module (a failed build) or a disabled adapter says how to fix it
// instead of failing with a bare "Cannot find module".
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { getSystemErrorName } from "node:util";
import type { I2cBus } from "./types.js";

/** What we use of i2c-bus 5's PromisifiedBus (the package ships no types we could rely on). */
interface PromisifiedBus {
  receiveByte(address: number): Promise<number>;
  writeQuick(address: number, bit: number): Promise<unknown>;
  close(): Promise<void>;
}
/** i2c-bus's entry point; `B` is the part of its PromisifiedBus the caller uses. */
export interface I2cBusModule<B> {
  openPromisified(busNumber: number, options?: { forceAccess?: boolean }): Promise<B>;
}

export const I2C_NOT_INSTALLED = 'i2c-bus is not installed: run "npm install i2c-bus" (needs build-essential)';

export interface OpenI2cOptions {
  /** Where the adapters' device nodes live; tests point it at a temp folder. */
  devDir?: string;
  /** Loads the module; tests replace it. */
  load?: () => Promise<unknown>;
}

// A variable specifier: neither tsc nor vite try to resolve a module that is usually absent.
const MODULE_NAME = "i2c-bus";

/** The real import of the module. */
export const importI2cBus = (): Promise<unknown> => import(MODULE_NAME);

/**
 * Open /dev/i2c-`busNumber`. Access is not forced (I2C_SLAVE, not I2C_SLAVE_FORCE), so an
 * address claimed by a kernel driver fails with EBUSY instead of being talked over.
 */
export async function openI2cBus(busNumber: number, options: OpenI2cOptions = {}): Promise<I2cBus> {
  const devDir = options.devDir ?? "/dev";
  const device = path.join(devDir, `i2c-${busNumber}`);
  // Checked before loading the module: on a fresh Pi the adapter is off, and that is the fix
  // to show even when i2c-bus is missing too.
  if (!existsSync(device)) throw new Error(`${device} not found: enable I2C with "sudo raspi-config nonint do_i2c 0" and reboot${otherBuses(devDir, device)}`);
  const mod = await loadI2cBus<PromisifiedBus>(options.load ?? importI2cBus);
  let bus: PromisifiedBus;
  try {
    bus = await mod.openPromisified(busNumber, { forceAccess: false });
  } catch (err) {
    throw i2cError(device, err);
  }
  // i2c-bus 5 opens the device node lazily, once per address: EACCES shows on the first call.
  return {
    receiveByte: (address) => bus.receiveByte(address).catch((err: unknown) => Promise.reject(i2cError(device, err))),
    writeQuick: (address, bit) =>
      bus.writeQuick(address, bit).then(
        () => undefined,
        (err: unknown) => Promise.reject(i2cError(device, err)),
      ),
    close: () => bus.close(),
  };
}

/** Load i2c-bus through `load` (tests replace it); a failure says how to install or rebuild it. */
export async function loadI2cBus<B>(load: () => Promise<unknown> = importI2cBus): Promise<I2cBusModule<B>> {
  let mod: unknown;
  try {
    mod = await load();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const message = err instanceof Error ? err.message : String(err);
    // Only the package itself missing; a broken build (no .node binding) is a different fix.
    if (code === "ERR_MODULE_NOT_FOUND" && message.includes(`'${MODULE_NAME}'`)) throw new Error(I2C_NOT_INSTALLED, { cause: err });
    throw new Error(`cannot load the i2c-bus module: ${message} (reinstall it: "npm rebuild i2c-bus", needs build-essential)`, { cause: err });
  }
  // A CommonJS module imported from ESM: its exports may sit under `default`.
  const m = mod as Partial<I2cBusModule<B>> & { default?: Partial<I2cBusModule<B>> };
  const api = typeof m.openPromisified === "function" ? m : m.default;
  if (typeof api?.openPromisified !== "function") throw new Error("cannot load the i2c-bus module: no openPromisified() (i2c-bus 5 or later is needed)");
  return api as I2cBusModule<B>;
}

/** `(found: /dev/i2c-20, /dev/i2c-21)` when other adapters exist, e.g. on a Pi 4/5 bus 1 may be off but 20/21 on. */
function otherBuses(devDir: string, device: string): string {
  let names: string[];
  try {
    names = readdirSync(devDir).filter((n) => /^i2c-\d+$/.test(n));
  } catch {
    return "";
  }
  const others = names.map((n) => path.join(devDir, n)).filter((p) => p !== device);
  return others.length > 0 ? ` (present: ${others.join(", ")})` : "";
}

/** The same error with a string `code` (native errors may carry only `errno`) and a useful hint. */
export function i2cError(device: string, err: unknown): Error & { code?: string } {
  const e = err as { code?: unknown; errno?: unknown; message?: unknown } | null;
  const code =
    typeof e?.code === "string" ? e.code : typeof e?.errno === "number" && e.errno !== 0 ? errnoName(e.errno) : undefined;
  const text = typeof e?.message === "string" ? e.message : String(err);
  const hint =
    code === "EACCES"
      ? ': permission denied: add the user to the "i2c" group (sudo adduser $USER i2c) and log in again'
      : code === "ENOENT"
        ? ': not found: enable I2C with "sudo raspi-config nonint do_i2c 0" and reboot'
        : `: ${text}`;
  return Object.assign(new Error(`${device}${hint}`, { cause: err }), code ? { code } : {});
}

/** 121 → "EREMOTEIO" (libuv knows it; os.constants.errno does not). */
function errnoName(errno: number): string | undefined {
  const name = getSystemErrorName(-Math.abs(errno));
  return /^E[A-Z0-9]+$/.test(name) ? name : undefined;
}
