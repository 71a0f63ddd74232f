// Tiny DOM helpers shared by the panels.

/** Create an element with attributes (`class`, `data-*`, `aria-*`, ...) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(key, value === true ? "" : String(value));
  }
  el.append(...children);
  return el;
}

/** Set `el`'s text only when it differs: an unchanged write still costs a layout, per live frame. */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Add a listener and return the function that removes it. */
export function listen<E extends Event = Event>(
  target: EventTarget,
  type: string,
  handler: (event: E) => void,
  options?: AddEventListenerOptions,
): () => void {
  target.addEventListener(type, handler as EventListener, options);
  return () => target.removeEventListener(type, handler as EventListener, options);
}

/** Collects cleanup functions; `run()` calls each once, newest first. */
export class Disposer {
  private fns: (() => void)[] = [];
  add(fn: () => void): void {
    this.fns.push(fn);
  }
  run(): void {
    for (const fn of this.fns.reverse()) fn();
    this.fns = [];
  }
}

/** Set a `<select>`'s options to `values` (label = value unless given), keeping DOM churn low. */
export function setOptions(select: HTMLSelectElement, values: string[], labels: Record<string, string> = {}): void {
  const same =
    select.options.length === values.length && values.every((v, i) => select.options[i].value === v);
  if (same) return;
  select.replaceChildren(...values.map((v) => h("option", { value: v }, labels[v] ?? v)));
}

/** Format a number compactly for labels: 3 significant digits, no exponent for ordinary values. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return a >= 100 ? x.toFixed(1) : a >= 10 ? x.toFixed(2) : x.toFixed(3);
}
