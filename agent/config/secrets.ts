// Files holding the XMPP password should not be readable by every user of the machine, the way
// ssh refuses a private key others can read; thingd warns (and still runs). The installer makes
// them root:thingd 0640: root edits, the service reads, other users cannot.
import { statSync } from "node:fs";
import type { ThingConfig } from "./types.js";

/** One sentence per secret file that other users can read; empty when none is. */
export function secretFileWarnings(config: Pick<ThingConfig, "file" | "xmpp">): string[] {
  const files: Array<[string, string]> = [];
  if (config.xmpp.passwordSource === "file" && config.xmpp.passwordFile) files.push([config.xmpp.passwordFile, "the password file"]);
  if (config.xmpp.passwordSource === "inline") files.push([config.file, "the sensor map holds the password inline and"]);
  const out: string[] = [];
  for (const [file, what] of files) {
    let mode: number;
    try {
      mode = statSync(file).mode;
    } catch {
      continue;
    }
    if ((mode & 0o004) === 0) continue;
    const octal = (mode & 0o777).toString(8).padStart(4, "0");
    out.push(`${what} ${file} is readable by every user (mode ${octal}): sudo chown root:thingd ${file} && sudo chmod 0640 ${file}`);
  }
  return out;
}
