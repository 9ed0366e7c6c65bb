// A null-modem cable in software: socat joins two pseudo-terminals, the driver opens one end
// through the real serialport binding and an emulator writes sensor bytes into the other.
// Killing socat is an unplug (the driver's end gets EIO/EBADF and the links vanish);
// starting it again on the same link paths is a replug.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { constants } from "node:fs";
import { join } from "node:path";

export interface PtyPair {
  /** Symlink to the pty the code under test opens. */
  devicePath: string;
  /** Symlink to the pty the emulator writes to. */
  emulatorPath: string;
  /** Kill socat (an unplug) and wait until it exited and removed its links. */
  stop(): Promise<void>;
}

const SOCAT_MISSING = "socat is missing: apt-get install -y socat";

/** Start socat with links `<dir>/a` (device) and `<dir>/b` (emulator); resolves once both exist. */
export async function startPtyPair(dir: string, timeoutMs = 5_000): Promise<PtyPair> {
  const devicePath = join(dir, "a");
  const emulatorPath = join(dir, "b");
  // A socat killed with SIGKILL leaves its links behind; stale ones would look "ready" at once.
  rmSync(devicePath, { force: true });
  rmSync(emulatorPath, { force: true });
  const child = spawn(
    "socat",
    ["-d", "-d", `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${emulatorPath}`],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  // A test worker that dies mid-test must not leave socat running (pty pairs are finite).
  const killOnExit = () => child.kill("SIGTERM");
  process.once("exit", killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      process.off("exit", killOnExit);
      resolve();
    }),
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "ENOENT" ? new Error(SOCAT_MISSING, { cause: err }) : err),
    ),
  );
  spawnError.catch(() => {}); // observed below; avoid an unhandled rejection if never raced

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(devicePath) && existsSync(emulatorPath)) break;
    if (child.exitCode !== null || child.signalCode !== null) {
      await Promise.race([spawnError, Promise.resolve()]);
      throw new Error(`socat exited (${child.exitCode ?? child.signalCode}) before creating its ptys: ${stderr}`);
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`socat did not create ${devicePath} and ${emulatorPath} within ${timeoutMs} ms: ${stderr}`);
    }
    await Promise.race([spawnError, delay(10)]);
  }

  return { devicePath, emulatorPath, stop: () => stopSocat(child, exited) };
}

async function stopSocat(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  await exited; // socat unlinks its links on SIGTERM before exiting
}

/** The sensor's side of the cable: plain fs on the pty, no serialport. */
export class PtyEmulator {
  private constructor(private readonly handle: FileHandle) {}

  /** O_NOCTTY: the test process must not adopt the pty as its controlling terminal. */
  static async open(path: string): Promise<PtyEmulator> {
    return new PtyEmulator(await open(path, constants.O_RDWR | constants.O_NOCTTY));
  }

  async write(bytes: Buffer): Promise<void> {
    await this.handle.write(bytes);
  }

  /** Write `bytes` in pieces of `size`, yielding to the event loop between them. */
  async writeInPieces(bytes: Buffer, size: number, pauseMs = 1): Promise<void> {
    for (let i = 0; i < bytes.length; i += size) {
      await this.write(bytes.subarray(i, i + size));
      await delay(pauseMs);
    }
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => {}); // EIO once socat is gone
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
