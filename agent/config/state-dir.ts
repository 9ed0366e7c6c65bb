// Where the Thing keeps its state when the sensor map names no `state_dir`:
//   1. $STATE_DIRECTORY: systemd sets it from the unit's StateDirectory= (/var/lib/thingd);
//      several folders are colon-separated, the first is ours.
//   2. /var/lib/thingd when running as the service: under systemd (INVOCATION_ID), as the
//      `thingd` user (`sudo -u thingd thingd check`), or with a sensor map under /etc (the
//      installed one, e.g. `sudo thingd status`).
//   3. Otherwise a per-user folder: $XDG_STATE_HOME/thingd, else ~/.local/state/thingd.
// A folder next to the config file would be /etc/thingd/state for the service, read-only
// under the unit's ProtectSystem=strict: the service died at start-up with EACCES.
import { accessSync, constants, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const SERVICE_STATE_DIR = "/var/lib/thingd";
export const SERVICE_USER = "thingd";

type Env = Record<string, string | undefined>;

export function defaultStateDir(configFile: string, env: Env): string {
  const fromSystemd = env.STATE_DIRECTORY?.split(":")[0];
  if (fromSystemd) return path.resolve(fromSystemd);
  const user = env.USER ?? env.LOGNAME;
  if (env.INVOCATION_ID || user === SERVICE_USER || path.resolve(configFile).startsWith("/etc/")) return SERVICE_STATE_DIR;
  if (env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME)) return path.join(env.XDG_STATE_HOME, "thingd");
  return path.join(env.HOME || os.homedir(), ".local", "state", "thingd");
}

/**
 * Why thingd could not keep its state in `dir`, or undefined if it can: the folder must be a
 * writable folder, or be creatable (its nearest existing parent a writable folder).
 */
export function stateDirProblem(dir: string): string | undefined {
  let at = path.resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") {
        const parent = path.dirname(at);
        if (parent === at) return "no such folder";
        at = parent;
        continue;
      }
      return code === "EACCES" ? `permission denied looking into ${path.dirname(at)}` : (err as Error).message;
    }
    if (!isDir) return at === path.resolve(dir) ? "not a folder" : `${at} is not a folder`;
    try {
      accessSync(at, constants.W_OK | constants.X_OK);
      return undefined;
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === "EROFS" ? "is on a read-only file system" : "is not writable by this user";
      return at === path.resolve(dir) ? why.replace(/^is /, "") : `cannot be created: ${at} ${why}`;
    }
  }
}
