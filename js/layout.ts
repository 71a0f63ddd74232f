// The explorer's one-screen frame: folded sections for the panels a user opens now and then
// (DeepDream, option forms), and the keys' help tooltip. index.ts decides what goes where.
import { h } from "./dom";

/**
 * A section folded by default: a <details> whose summary (data-testid="section-<name>") is a
 * keyboard-reachable button that opens or closes it. `open` folds it out from the start.
 */
export function foldedSection(name: string, title: string, children: HTMLElement[], open = false): HTMLDetailsElement {
  return h("details", { class: "cnnx-section", "data-testid": `section-${name}`, "data-section": name, open },
    h("summary", { class: "cnnx-summary", "data-testid": `section-${name}-toggle` }, title), ...children);
}

/** The keys the explorer answers, as listed in its help tooltip (keyboard.ts implements them). */
export const KEYS: [string, string][] = [
  ["← →", "previous / next unit as drawn"],
  ["↑ ↓", "unit one row up / down"],
  ["Enter", "maximize the selected unit (again)"],
  ["Esc", "cancel the running jobs, else clear the selection"],
  ["[ ]", "previous / next layer"],
  ["Tab", "next panel or option"],
];

/** A "?" button (data-testid="keys-help") whose tooltip (data-testid="keys-help-text") lists KEYS. */
export function keysHelp(): HTMLElement {
  const text = KEYS.map(([key, what]) => `${key}  ${what}`).join("\n");
  const tip = h("div", { class: "cnnx-helptip", role: "tooltip", id: "", "data-testid": "keys-help-text" },
    ...KEYS.map(([key, what]) => h("div", {}, h("kbd", {}, key), " ", what)));
  const button = h("button", {
    type: "button", class: "cnnx-button cnnx-help", "data-testid": "keys-help",
    "aria-label": `Keyboard keys: ${text.replace(/\n/g, "; ")}`, title: text,
  }, "?");
  return h("span", { class: "cnnx-helpbox" }, button, tip);
}
