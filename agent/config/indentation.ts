// Plain-words hints for YAML indentation mistakes, the commonest hand-edit error in a sensor
// map. The parser reports them at the line above the misplaced key ("Nested mappings are not
// allowed in compact mappings"); these name the key that moved and its own line:
//   line 3: check the indentation: `jid` is indented deeper than `service` above it
// Only used when the parser already failed: a hint never makes a valid file invalid.

export interface IndentHint {
  line: number;
  column: number;
  message: string;
}

interface KeyLine {
  line: number;
  /** Column (0-based) where the key starts, after any "- " item markers. */
  column: number;
  key: string;
  /** The key holds a value on its own line (`key: value`), so nothing may nest under it. */
  scalar: boolean;
}

const KEY_LINE = /^((?:- +)*)([^\s#:'"{[\]-][^:#]*?|"[^"]*"|'[^']*'):(?:\s+(.*))?$/;

export function indentationHints(text: string): IndentHint[] {
  const hints: IndentHint[] = [];
  // Keys whose block is still open, outermost first.
  const open: KeyLine[] = [];
  let previous: KeyLine | undefined;
  let inBlockScalar: number | undefined; // indentation of the key that opened a | or > scalar
  text.split(/\r?\n/).forEach((raw, i) => {
    const content = raw.trimStart();
    if (content === "" || content.startsWith("#")) return;
    const indent = raw.length - content.length;
    if (inBlockScalar !== undefined) {
      if (indent > inBlockScalar) return; // text of a multi-line string
      inBlockScalar = undefined;
    }
    const m = KEY_LINE.exec(content);
    if (!m) {
      previous = undefined; // a list item or flow value: no judgement on the next line
      return;
    }
    const value = (m[3] ?? "").replace(/\s+#.*$/, "");
    const cur: KeyLine = { line: i + 1, column: indent + (m[1] ?? "").length, key: m[2]!, scalar: value !== "" && !/^[|>]/.test(value) };
    if (/^[|>]/.test(value)) inBlockScalar = indent;
    let sibling: KeyLine | undefined; // the innermost key closed by this line
    while (open.length > 0 && open.at(-1)!.column > cur.column) sibling = open.pop();
    const parent = open.at(-1);
    const item = (m[1] ?? "").length > 0;
    if (previous && previous.scalar && cur.column > previous.column && !item) {
      hints.push({ line: cur.line, column: cur.column + 1, message: `check the indentation: \`${cur.key}\` is indented deeper than \`${previous.key}\` above it` });
    } else if (sibling && parent && cur.column > parent.column && !item) {
      hints.push({
        line: cur.line,
        column: cur.column + 1,
        message: `check the indentation: \`${cur.key}\` (column ${cur.column + 1}) does not line up with \`${sibling.key}\` on line ${sibling.line} (column ${sibling.column + 1})`,
      });
    }
    if (open.at(-1)?.column === cur.column) open.pop();
    open.push(cur);
    previous = cur;
  });
  return hints;
}
