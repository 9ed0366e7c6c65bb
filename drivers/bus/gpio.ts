// GPIO lines over the kernel's sysfs interface, through onoff (the only module that imports it,
// lazily, so machines without GPIO never load its native `epoll` addon).
//
// Why a lookup: since kernel 6.6 (Raspberry Pi OS Bookworm) the sysfs numbers of the header pins
// no longer equal the BCM numbers: the SoC's gpiochip starts at 512 (Pi 4, pinctrl-bcm2711), 571
// (Pi 5, pinctrl-rp1), or another base on other kernels (raspberrypi/linux#6084, fivdi/onoff#199,
// #200). Exporting "17" then fails with EINVAL. So we read every gpiochip's base and label at
// open time and add the base of the Raspberry Pi's own chip, never a hard-coded offset.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { GpioLine, GpioOptions } from "./types.js";

type OnoffModule = typeof import("onoff");
type OnoffGpio = InstanceType<OnoffModule["Gpio"]>;

/** Labels of the SoC pin controllers that carry the 40-pin header (Pi 0-3, Pi 4, Pi 5). */
export const PI_GPIOCHIP_LABELS = ["pinctrl-bcm2835", "pinctrl-bcm2711", "pinctrl-rp1"] as const;

export interface GpioChipInfo {
  /** Directory name, e.g. "gpiochip512". */
  name: string;
  base: number;
  label: string;
  ngpio: number;
}

export interface ResolvedGpio {
  pin: number;
  sysfsNumber: number;
  chip: GpioChipInfo;
}

async function readTrimmed(path: string): Promise<string> {
  return (await readFile(path, "utf8")).trim();
}

/** Every gpiochip under `<sysfsRoot>/class/gpio`, lowest base first; unreadable chips are skipped. */
export async function listGpioChips(sysfsRoot = "/sys"): Promise<GpioChipInfo[]> {
  const dir = join(sysfsRoot, "class", "gpio");
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOENT: no sysfs GPIO at all (kernel without CONFIG_GPIO_SYSFS, or not a board).
    if (code === "ENOENT") {
      throw Object.assign(
        new Error(
          `${dir} not found: this kernel has no sysfs GPIO (built without CONFIG_GPIO_SYSFS, e.g. a custom kernel or an ` +
            "overlay that removed it; the stock Raspberry Pi OS kernel has it) or this is not a board (a container needs the host's /sys)",
        ),
        { code },
      );
    }
    throw new Error(`cannot list ${dir}: ${code ?? (err as Error).message} (is this a board with sysfs GPIO?)`);
  }
  const chips: GpioChipInfo[] = [];
  for (const name of names.filter((n) => n.startsWith("gpiochip")).sort()) {
    try {
      const [base, label, ngpio] = await Promise.all([
        readTrimmed(join(dir, name, "base")),
        readTrimmed(join(dir, name, "label")),
        readTrimmed(join(dir, name, "ngpio")),
      ]);
      const chip = { name, base: Number(base), label, ngpio: Number(ngpio) };
      if (Number.isInteger(chip.base) && Number.isInteger(chip.ngpio)) chips.push(chip);
    } catch {
      // A half-populated chip directory (being removed) is not a candidate.
    }
  }
  return chips.sort((a, b) => a.base - b.base);
}

/**
 * BCM pin number → sysfs GPIO number: the base of the chip labelled as a Raspberry Pi pin
 * controller, else of the lowest-base chip (other boards), plus `pin`.
 */
export async function resolveSysfsGpio(pin: number, sysfsRoot = "/sys"): Promise<ResolvedGpio> {
  if (!Number.isInteger(pin) || pin < 0) throw new Error(`GPIO${pin}: expected a BCM pin number >= 0`);
  const chips = await listGpioChips(sysfsRoot);
  const dir = join(sysfsRoot, "class", "gpio");
  const found = chips.map((c) => `${c.name} base ${c.base} "${c.label}"`).join(", ") || "none";
  const chip = chips.find((c) => (PI_GPIOCHIP_LABELS as readonly string[]).includes(c.label)) ?? chips[0];
  if (!chip) throw new Error(`GPIO${pin}: no gpiochip with a Raspberry Pi label under ${dir} (found: ${found})`);
  if (pin >= chip.ngpio) {
    throw new Error(`GPIO${pin}: out of range, ${chip.name} ("${chip.label}") has ${chip.ngpio} lines (0..${chip.ngpio - 1})`);
  }
  return { pin, sysfsNumber: chip.base + pin, chip };
}

export interface GpioDeps {
  sysfsRoot?: string;
  /** Loads onoff; tests inject a fake Gpio class behind the same interface. */
  loadOnoff?: () => Promise<OnoffModule>;
}

async function defaultLoadOnoff(): Promise<OnoffModule> {
  try {
    return await import("onoff");
  } catch (err) {
    // Missing package or an epoll addon built for another Node ABI (fivdi/onoff#124).
    throw new Error(
      `GPIO needs the "onoff" package and its native "epoll" addon, which failed to load: ${(err as Error).message}. ` +
        `Reinstall on this machine with build tools present (apt install build-essential; npm ci).`,
    );
  }
}

function bit(value: number): 0 | 1 {
  return value ? 1 : 0;
}

/** Open one GPIO line by BCM pin. Active-low and debounce are onoff's own options. */
export async function openGpioLine(options: GpioOptions, log: Logger, deps: GpioDeps = {}): Promise<GpioLine> {
  const { pin } = options;
  const resolved = await resolveSysfsGpio(pin, deps.sysfsRoot ?? "/sys");
  const { sysfsNumber } = resolved;
  const onoff = await (deps.loadOnoff ?? defaultLoadOnoff)();
  const where = `GPIO${pin} (sysfs gpio${sysfsNumber} on ${resolved.chip.name})`;
  let gpio: OnoffGpio;
  try {
    // onoff sets the edge only for inputs (writing it on an output gives EIO on some boards).
    const edge = options.direction === "in" ? (options.edge ?? "none") : undefined;
    gpio = new onoff.Gpio(sysfsNumber, options.direction, edge, {
      activeLow: options.activeLow ?? false,
      debounceTimeout: options.debounceMs ?? 0,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === "EACCES" ? " (add the service user to the gpio group)" : code === "EBUSY" ? " (claimed by a kernel driver or another process)" : "";
    throw new Error(`${where}: cannot export: ${(err as Error).message}${hint}`);
  }
  log.debug({ pin, sysfsNumber, chip: resolved.chip.label }, "gpio line open");

  const listeners = new Set<(value: 0 | 1) => void>();
  // One onoff watcher for all our listeners, registered only while someone listens: watching
  // adds the value fd to epoll, which plain files (and lines without interrupts) refuse.
  const onEdge = (err: Error | null | undefined, value: number) => {
    if (err) {
      log.warn({ err, pin }, "gpio watch error");
      return;
    }
    for (const l of [...listeners]) l(bit(value));
  };
  let closed = false;

  return {
    pin,
    sysfsNumber,
    async read() {
      if (closed) throw new Error(`${where}: line closed`);
      return bit(await gpio.read());
    },
    async write(value) {
      if (closed) throw new Error(`${where}: line closed`);
      await gpio.write(value);
    },
    watch(listener) {
      if (closed) throw new Error(`${where}: line closed`);
      if (listeners.size === 0) {
        try {
          gpio.watch(onEdge);
        } catch (err) {
          // onoff keeps the listener although epoll refused the fd; drop it, or unexport would
          // later try to remove the fd from epoll and throw. (Its own remove fails the same way.)
          try {
            gpio.unwatch(onEdge);
          } catch {
            // expected: the fd was never in the epoll set
          }
          throw new Error(`${where}: cannot watch edges: ${(err as Error).message}`);
        }
      }
      listeners.add(listener);
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0 || closed) return;
        try {
          gpio.unwatch(onEdge);
        } catch (err) {
          log.warn({ err, pin }, "gpio unwatch failed");
        }
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      try {
        gpio.unexport(); // also drops onoff's watchers and closes the value fd
      } catch (err) {
        // Closing runs at shutdown and on reload: a line that cannot be released is logged, not fatal.
        log.warn({ err, pin, sysfsNumber }, "gpio unexport failed");
      }
    },
  };
}
