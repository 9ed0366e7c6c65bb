// `thingd claim [-c FILE] [--json]`: how the owner claims this Thing (docs/protocol.md §2.4, §2.5).
// Reads the state file the daemon wrote in state_dir (read-only, never creates one): when
// CLAIMED, who owns it; otherwise the `iotdisco:` URI (SN + registry.meta + KEY, registry as R)
// and a terminal QR code of it. Exit codes: 0 shown; 1 the daemon has not run yet (no state
// file) or no registry is configured or discovered; 78 invalid sensor map.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Io } from "./io.js";
import { boardSerial, type BoardPaths } from "../ownership/board.js";
import { renderQr } from "../ownership/claim-qr.js";
import { EXIT_FAILURE, EXIT_OK } from "../errors.js";
import { loadForCommand } from "./load-config.js";
import { buildIotDiscoUri } from "../protocol/iotdisco.js";
import { parseState, STATE_FILE, type ThingState } from "../ownership/state.js";

export interface ClaimOptions {
  config: string;
  json?: boolean;
  /** Also write a printable label (QR code, JID and SN under it) as SVG to this file. */
  svg?: string;
  /** Where boardSerial() looks (tests). */
  boardPaths?: BoardPaths;
}

/** The state file, else its .bak copy; undefined when neither is readable. Never writes. */
export async function readStateReadOnly(stateDir: string): Promise<ThingState | undefined> {
  const file = path.join(stateDir, STATE_FILE);
  for (const candidate of [file, `${file}.bak`]) {
    try {
      return parseState(await readFile(candidate, "utf8"));
    } catch {
      // missing or unreadable: try the next copy
    }
  }
  return undefined;
}

export async function claimCommand(opts: ClaimOptions, io: Io): Promise<number> {
  // No password needed: claiming needs no XMPP connection.
  const config = await loadForCommand(opts.config, io, { needPassword: false });
  if (typeof config === "number") return config;

  const state = await readStateReadOnly(config.stateDir);
  if (!state) {
    io.err(`thingd: no state file in ${config.stateDir}: the daemon has not run yet (start it with "thingd run" so it makes its KEY)`);
    return EXIT_FAILURE;
  }

  const registry = state.registry ?? config.registry.jid;
  if (state.status === "CLAIMED" || state.status === "REMOVED") {
    if (opts.json) {
      io.out(JSON.stringify({ status: state.status, ...(state.owner ? { owner: state.owner } : {}) }, null, 2));
    } else {
      io.out(`Claimed by ${state.owner ?? "(unknown owner)"} (registry ${registry ?? "unknown"})`);
    }
    return EXIT_OK;
  }

  // The configured registry, else the one the daemon found by service discovery and recorded.
  const registryJid = config.registry.jid ?? state.registry;
  if (!registryJid) {
    io.err(
      `thingd: no registry configured (registry.jid in ${config.file}) and none found by the daemon yet: there is nothing to claim this Thing through`,
    );
    return EXIT_FAILURE;
  }

  const serial = boardSerial(opts.boardPaths);
  const tags = { ...(serial ? { SN: serial } : {}), ...config.registry.meta, KEY: state.key };
  const uri = buildIotDiscoUri(tags, registryJid);
  if (opts.svg !== undefined) {
    const { buildLabelSvg, qrModules } = await import("../ownership/claim-label.js");
    const caption = [config.xmpp.jid, ...(serial ? [`SN ${serial}`] : [])];
    await writeFile(opts.svg, buildLabelSvg({ modules: qrModules(uri), caption }), { mode: 0o600 });
    io.err(`thingd: claim label written to ${opts.svg} (it holds the KEY: keep the file private and delete it once printed)`);
  }
  if (opts.json) {
    io.out(JSON.stringify({ status: state.status, uri }, null, 2));
    return EXIT_OK;
  }
  io.out(`Status: ${state.status} (not claimed yet)`);
  io.out(uri);
  io.out("");
  io.out((await renderQr(uri)).replace(/\n+$/, ""));
  io.out("");
  io.out(
    `To claim this Thing, scan the code with an XMPP IoT app, or send these tags in a <mine> request to ${registryJid}. ` +
      "Keep it private: the KEY in it proves ownership.",
  );
  return EXIT_OK;
}
