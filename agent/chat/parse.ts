// IoT chat commands (docs/people.md "Chat"), compatible with IoTGateway's chat server where it
// has them: every line of a message is one command. Pure: text in, commands out.

export type ChatCommand =
  | { kind: "menu"; extended: boolean }
  | { kind: "read"; full: boolean; prefix?: string }
  | { kind: "params"; name?: string }
  | { kind: "set"; name: string; value: string }
  | { kind: "status" }
  | { kind: "unknown"; text: string };

const MENU_WORDS = new Set(["#", "help", "hi", "hello", "hey", "menu", "?help", "/help"]);

/** One line → one command. Case-insensitive keywords; names keep their case. */
export function parseLine(line: string): ChatCommand | undefined {
  const text = line.trim();
  if (text === "") return undefined;
  const lower = text.toLowerCase();
  if (MENU_WORDS.has(lower)) return { kind: "menu", extended: false };
  if (lower === "##") return { kind: "menu", extended: true };
  if (lower === "status" || lower === "status?") return { kind: "status" };
  if (text === "?") return { kind: "read", full: false };
  if (text === "??") return { kind: "read", full: true };
  if (text === ":=") return { kind: "params" };
  const set = /^([^\s:=?]+)\s*:=\s*(.*)$/.exec(text);
  if (set) {
    const [, name, value] = set as unknown as [string, string, string];
    return value === "" ? { kind: "params", name } : { kind: "set", name, value: value.trim() };
  }
  const read = /^([^\s?]+)\s*(\?\??)$/.exec(text);
  if (read) {
    const [, prefix, marks] = read as unknown as [string, string, string];
    return { kind: "read", full: marks === "??", prefix };
  }
  return { kind: "unknown", text: text.length > 40 ? `${text.slice(0, 37)}...` : text };
}

/** Every command of a message body, at most `max` (the rest is ignored). */
export function parseBody(body: string, max = 10): ChatCommand[] {
  const out: ChatCommand[] = [];
  for (const line of body.split(/\r?\n/)) {
    const c = parseLine(line);
    if (c) out.push(c);
    if (out.length >= max) break;
  }
  return out;
}

/** `node.param` or `param`. */
export function splitTarget(name: string): { node?: string; name: string } {
  const dot = name.indexOf(".");
  return dot > 0 && dot < name.length - 1 ? { node: name.slice(0, dot), name: name.slice(dot + 1) } : { name };
}
