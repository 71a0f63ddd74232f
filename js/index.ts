// anywidget entry of CNNExplorer. Lays out the panels in two columns (left: layer picker,
// grid controls, grid; right: input image, selected unit), routes trait changes to them in
// one batch per tick, and owns the shared decoded grid and the image Blob URL.
// A new panel plugs in by adding a factory to LEFT or RIGHT.
import { activationGrid } from "./activationGrid";
import { adversarialPanel } from "./adversarialPanel";
import { atlasHover } from "./atlasHover";
import { attributionMethods } from "./attributionMethods";
import { attributionPanel } from "./attributionPanel";
import { Disposer, h } from "./dom";
import { dreamPanel } from "./dreamPanel";
import { errorBanner } from "./errorBanner";
import { filtersPanel } from "./filtersPanel";
import { gridControls } from "./gridControls";
import { inputPanel } from "./inputPanel";
import { layerPicker } from "./layerPicker";
import { livePanel } from "./livePanel";
import { maximizeOptions } from "./maximizeOptions";
import { maximizePanel } from "./maximizePanel";
import { predictionsPanel } from "./predictionsPanel";
import pictureStyles from "./pictures.css";
import { asBytes, decodeGrid, type Grid } from "./protocol";
import styles from "./styles.css";
import type { Context, GridMeta, Panel, Traits, WidgetModel } from "./types";
import { unitDetail } from "./unitDetail";

type PanelFactory = (ctx: Context) => Panel;

/** Panels of the left column (the network side), top to bottom. */
export const LEFT: PanelFactory[] = [layerPicker, gridControls, activationGrid, dreamPanel, filtersPanel];
/** Panels of the right column (the picture side), top to bottom. */
export const RIGHT: PanelFactory[] = [inputPanel, predictionsPanel, livePanel, unitDetail, attributionPanel, attributionMethods, maximizePanel, maximizeOptions, atlasHover, adversarialPanel];

/**
 * Every synced trait, one key per member of `Traits` (types.ts): leaving one out, or naming one
 * that is not there, is a compile error.
 */
const TRAIT_KEYS: { [K in keyof Traits]: true } = {
  layers: true, layer: true, selected: true, normalization: true, colormap: true, sort: true,
  grid: true, grid_meta: true, image: true, image_name: true, samples: true, error: true,
  live_mode: true, live_options: true, top_crops: true, top_crops_meta: true, input_size: true,
  maximize_options: true, maximize_state: true, maximized_image: true, neuron: true, auto_maximize: true,
  show_attribution: true, attribution: true, attribution_meta: true, dream_options: true, dream_state: true,
  dream_image: true, atlas_units: true, option_specs: true,
  predictions: true, attribution_method: true, attribution_methods: true, attribution_class: true,
  attribution_state: true, filters: true, filters_meta: true, classes: true, adversarial_state: true,
  adversarial_image: true, adversarial_perturbation: true,
};

/** Every synced trait a panel may react to. */
export const TRAITS = Object.keys(TRAIT_KEYS) as (keyof Traits)[];

function render({ model, el }: { model: WidgetModel; el: HTMLElement }): () => void {
  const off = new Disposer();
  let grid: Grid | null = null;
  let liveGrid: Grid | null = null; // a live frame's grid, shown instead of the trait's
  let gridStale = true;
  let url = "";

  const ctx: Context = {
    model,
    grid() {
      if (liveGrid) return liveGrid;
      if (gridStale) {
        gridStale = false;
        try {
          grid = decodeGrid(model.get("grid"), model.get("grid_meta") as GridMeta);
        } catch (err) {
          // `grid` and `grid_meta` out of step (sent apart): keep the last consistent grid
          // until the matching pair arrives.
          console.debug(`cnnwidget: ${(err as Error).message}; keeping the previous grid`);
        }
      }
      return grid;
    },
    imageUrl: () => url,
    reportError: (message) => banner.show(message),
    showLiveGrid(next) {
      if (next === liveGrid) return;
      liveGrid = next;
      changed("grid");
    },
  };

  function refreshImage(): void {
    if (url) URL.revokeObjectURL(url);
    const bytes = asBytes(model.get("image"));
    url = bytes.byteLength ? URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "image/jpeg" })) : "";
  }

  const banner = errorBanner(ctx);
  const left = LEFT.map((make) => make(ctx));
  const right = RIGHT.map((make) => make(ctx));
  const panels: Panel[] = [banner, ...left, ...right];
  const root = h("div", { class: "cnnx", "data-testid": "cnn-explorer" },
    h("style", {}, styles + pictureStyles),
    banner.el,
    h("div", { class: "cnnx-columns" },
      h("div", { class: "cnnx-col cnnx-left" }, ...left.map((p) => p.el)),
      h("div", { class: "cnnx-col cnnx-right" }, ...right.map((p) => p.el))));
  el.replaceChildren(root);

  // Trait changes arrive one event each (grid and grid_meta together under hold_sync);
  // gather them and update the panels once per microtask.
  let pending = new Set<string>();
  let alive = true;
  function flush(): void {
    if (!alive) return;
    const changed = pending;
    pending = new Set();
    if (changed.has("grid") || changed.has("grid_meta")) gridStale = true;
    if (changed.has("image")) refreshImage();
    for (const panel of panels) panel.update(changed);
  }
  function changed(name: string): void {
    if (!pending.size) queueMicrotask(flush);
    pending.add(name);
  }
  for (const trait of TRAITS) {
    const handler = () => {
      if (trait === "grid_meta") liveGrid = null; // a new grid from the kernel outdates a live frame's
      changed(trait);
    };
    model.on(`change:${trait}`, handler);
    off.add(() => model.off(`change:${trait}`, handler));
  }
  pending = new Set(TRAITS);
  flush();

  return () => {
    alive = false;
    off.run();
    for (const panel of panels) panel.dispose();
    if (url) URL.revokeObjectURL(url);
    root.remove();
  };
}

export default { render };
