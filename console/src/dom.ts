// A tiny hyperscript helper: the console builds its DOM directly (no view library). Views keep
// references to the elements they update and change only the text that changed (setText), or
// re-render a small part only when what it shows changed (renderKeyed): a value pushed every
// second must not rebuild the page (docs/benchmarks.md, "Web console with 20 live Things").
export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Array<Child | Child[]>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el: Element, children: Array<Child | Child[]>): void {
  for (const c of children) {
    if (Array.isArray(c)) append(el, c);
    else if (c === null || c === undefined || c === false) continue;
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replace the children of `el`. */
export function render(el: Element, ...children: Array<Child | Child[]>): void {
  el.replaceChildren();
  append(el, children);
}

const keys = new WeakMap<Element, string>();

/** Replace the children of `el` with `build()`'s, but only when `key` differs from the last time. */
export function renderKeyed(el: Element, key: string, build: () => Array<Child | Child[]>): void {
  if (keys.get(el) === key) return;
  keys.set(el, key);
  render(el, ...build());
}

/** Set the text of a Text node or an element (without children of its own) if it differs. */
export function setText(node: Text | Element, text: string): void {
  if (node instanceof Text) {
    if (node.data !== text) node.data = text;
  } else if (node.textContent !== text) node.textContent = text;
}

/** Set an attribute if it differs (null removes it). */
export function setAttr(el: Element, name: string, value: string | null): void {
  if (value === null) el.removeAttribute(name);
  else if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/** Make `parent`'s children exactly `children`, in order, moving only what is out of place. */
export function placeChildren(parent: Element, children: readonly Element[]): void {
  let i = 0;
  for (const c of children) {
    if (parent.children[i] !== c) parent.insertBefore(c, parent.children[i] ?? null);
    i++;
  }
  while (parent.children.length > children.length) parent.lastElementChild?.remove();
}
