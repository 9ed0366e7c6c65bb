// The logger's journald mode: "<N>" syslog priority prefixes from pino levels, redaction kept,
// plain JSON when stdout is not the journal.
import { spawnSync } from "node:child_process";
import { fstatSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createLogger, isJournalStream, syslogPriority } from "../../agent/log.js";

/** The built module (npm test compiles first), as the real binary loads it. */
const LOG_JS = fileURLToPath(new URL("../../dist/agent/log.js", import.meta.url));

function sink() {
  const lines: string[] = [];
  return { lines, stream: { write: (l: string) => void lines.push(l) } };
}

describe("createLogger", () => {
  it("journal mode: prefixes each line with the syslog priority of its level, child loggers too", () => {
    const { lines, stream } = sink();
    const log = createLogger("trace", stream, { journal: true });
    log.trace("t");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    log.fatal("f");
    log.child({ module: "x" }).warn("child");
    const prefixes = lines.map((l) => /^<(\d)>/.exec(l)?.[1]);
    expect(prefixes).toStrictEqual(["7", "7", "6", "4", "3", "2", "4"]);
    // After the prefix, each line is still one JSON document.
    const parsed = lines.map((l) => JSON.parse(l.slice(3)) as { msg: string; level: number });
    expect(parsed.map((p) => p.msg)).toStrictEqual(["t", "d", "i", "w", "e", "f", "child"]);
    expect(lines.every((l) => l.endsWith("\n") && l.indexOf("\n") === l.length - 1)).toBe(true);
  });

  it("keeps the password redacted, with and without the journal prefix", () => {
    for (const journal of [true, false]) {
      const { lines, stream } = sink();
      const log = createLogger("info", stream, { journal });
      log.info({ password: "hunter2", xmpp: { password: "hunter2" }, config: { xmpp: { password: "hunter2" } } }, "config");
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toContain("hunter2");
      expect(lines[0]!.startsWith("<6>")).toBe(journal);
      const obj = JSON.parse(journal ? lines[0]!.slice(3) : lines[0]!) as Record<string, unknown>;
      expect(obj).toMatchObject({ password: "[redacted]", xmpp: { password: "[redacted]" }, config: { xmpp: { password: "[redacted]" } } });
    }
  });

  it("maps levels between the named ones down to the next syslog priority", () => {
    expect([10, 20, 25, 30, 35, 40, 45, 50, 60, 70].map(syslogPriority)).toStrictEqual([7, 7, 7, 6, 6, 4, 4, 3, 2, 2]);
  });

  it("detects the journal by JOURNAL_STREAM matching stdout's device and inode, not by the variable alone", () => {
    const st = fstatSync(1, { bigint: true });
    expect(isJournalStream(1, { JOURNAL_STREAM: `${st.dev}:${st.ino}` })).toBe(true);
    expect(isJournalStream(1, { JOURNAL_STREAM: `${st.dev}:${st.ino + 1n}` })).toBe(false);
    expect(isJournalStream(1, { JOURNAL_STREAM: "garbage" })).toBe(false);
    expect(isJournalStream(1, {})).toBe(false);
  });

  it("a process whose stdout is the journal stream writes prefixed lines to fd 1; others plain JSON", () => {
    // A child (the built logger, as `thingd run` uses it) sets JOURNAL_STREAM to its own stdout
    // pipe's dev:ino, or to something else.
    const script = `
      import { fstatSync } from "node:fs";
      const st = fstatSync(1, { bigint: true });
      process.env.JOURNAL_STREAM = process.argv[1] === "match" ? st.dev + ":" + st.ino : "1:1";
      const { createLogger } = await import(${JSON.stringify(LOG_JS)});
      createLogger("info").warn({ password: "hunter2" }, "hello");
    `;
    const run = (mode: string) => spawnSync(process.execPath, ["--input-type=module", "-e", script, mode], { encoding: "utf8" });
    const matched = run("match");
    expect(matched.stderr).toBe("");
    expect(matched.stdout).toMatch(/^<4>\{.*"msg":"hello"/);
    expect(matched.stdout).not.toContain("hunter2");
    const plain = run("other");
    expect(JSON.parse(plain.stdout)).toMatchObject({ level: 40, msg: "hello", password: "[redacted]" });
  });
});
