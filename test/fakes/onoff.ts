// A stand-in for onoff's Gpio class (same constructor and methods), for tests without GPIO hardware.
export type Value = 0 | 1;
export type Cb = (err: Error | null | undefined, value: Value) => void;

/** Stands in for onoff's Gpio: same constructor and methods; `level`/`edge()` drive it. */
export class FakeGpio {
  static instances: FakeGpio[] = [];
  level: Value = 0;
  listeners: Cb[] = [];
  unexported = false;
  written: Value[] = [];
  constructor(
    readonly gpio: number,
    readonly direction: string,
    readonly edgeSetting: string | undefined,
    readonly options: { activeLow?: boolean; debounceTimeout?: number },
  ) {
    FakeGpio.instances.push(this);
    // "high"/"low" set the raw level of a new output (kernel sysfs ABI); `level` is what reads see.
    if (direction === "high" || direction === "low") this.level = ((direction === "high" ? 1 : 0) ^ (options.activeLow ? 1 : 0)) as Value;
  }
  /** The pin's electrical level: `level` through active-low, as the kernel drives it. */
  get physical(): Value {
    return (this.level ^ (this.options.activeLow ? 1 : 0)) as Value;
  }
  readSync(): Value {
    return this.level;
  }
  async read(): Promise<Value> {
    return this.level;
  }
  // An output reads back what it drives.
  writeSync(v: Value): void {
    this.written.push(v);
    this.level = v;
  }
  async write(v: Value): Promise<void> {
    this.written.push(v);
    this.level = v;
  }
  watch(cb: Cb): void {
    this.listeners.push(cb);
  }
  unwatch(cb?: Cb): void {
    this.listeners = cb ? this.listeners.filter((l) => l !== cb) : [];
  }
  unwatchAll(): void {
    this.listeners = [];
  }
  unexport(): void {
    this.unwatchAll();
    this.unexported = true;
  }
  /** One (debounced) edge to `to`, reported only if the edge setting asks for it, as onoff does. */
  edge(to: Value): void {
    this.level = to;
    const e = this.edgeSetting;
    if (e === "both" || (e === "rising" && to === 1) || (e === "falling" && to === 0)) {
      for (const l of [...this.listeners]) l(null, to);
    }
  }
}

export const loadOnoff = async () => ({ Gpio: FakeGpio }) as unknown as typeof import("onoff");
