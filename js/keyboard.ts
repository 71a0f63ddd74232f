// The explorer's keys beyond the grid's arrows (activationGrid.ts): Enter maximizes the
// selected unit (again), Esc cancels the running jobs first and clears the selection next,
// `[` and `]` choose the previous and next layer. The list shown to users is layout.KEYS.
import { listen } from "./dom";
import { CANCEL, MAXIMIZE } from "./protocol";
import type { LayerInfo, WidgetModel } from "./types";

/** True while the kernel runs background work of this explorer (maximization, DeepDream, attribution, attack). */
export function jobRunning(model: WidgetModel): boolean {
  const running = (state: Record<string, unknown> | undefined) => state?.status === "running";
  return (["maximize_state", "dream_state", "attribution_state", "adversarial_state"] as const)
    .some((trait) => running(model.get(trait)));
}

/** The layer `step` places before (-1) or after (+1) the current one, or "" at either end. */
export function neighbourLayer(model: WidgetModel, step: -1 | 1): string {
  const names = (model.get("layers") as LayerInfo[]).map((l) => l.name);
  const at = names.indexOf(model.get("layer"));
  return at < 0 ? "" : names[at + step] ?? "";
}

/** Keys typed into these go to the control, not to the explorer. */
function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  const tag = el.tagName.toLowerCase();
  return tag === "textarea" || tag === "select" || (tag === "input" && !["checkbox", "range", "button"].includes((el as HTMLInputElement).type));
}

/** Listen on `root` for the explorer's keys; returns the function that stops listening. */
export function explorerKeys(root: HTMLElement, model: WidgetModel, grid: HTMLElement): () => void {
  return listen<KeyboardEvent>(root, "keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const sel = model.get("selected");
    if (event.key === "Escape") {
      if (jobRunning(model)) model.send({ type: CANCEL });
      else if (sel.length === 2) {
        model.set("selected", []);
        model.save_changes();
      } else return;
    } else if (event.key === "Enter" && grid.contains(event.target as Node)) {
      if (sel.length !== 2) return;
      model.send({ type: MAXIMIZE, layer: sel[0], channel: sel[1] });
    } else if ((event.key === "[" || event.key === "]") && !typing(event.target)) {
      const next = neighbourLayer(model, event.key === "[" ? -1 : 1);
      if (!next) return;
      model.set("layer", next);
      model.save_changes();
    } else return;
    event.preventDefault();
    event.stopPropagation(); // JupyterLab's own shortcuts (Esc leaves edit mode) do not see it
  });
}
