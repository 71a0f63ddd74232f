// anywidget entry of CNNExplorer. Lays out the panels on one screen: a toolbar (layer picker,
// grid controls, keys' help) over the grid beside the stage, whose two columns hold the
// picture (or the camera's live view, in its place while it runs) over the unit's map, and the
// unit's maximization with Grad-CAM and the atlas; DeepDream and the option forms fold under
// the grid. Routes trait changes to the panels in one batch per tick, and owns the shared
// decoded grid and the image Blob URL. A new panel plugs in by adding a factory to a region.
import { activationGrid } from "./activationGrid";
import { adversarialPanel } from "./adversarialPanel";
import { atlasHover } from "./atlasHover";
import { attributionMethods } from "./attributionMethods";
import { attributionPanel } from "./attributionPanel";
import { Disposer, h } from "./dom";
import { dreamPanel } from "./dreamPanel";
import { errorBanner } from "./errorBanner";
import { examplesPanel } from "./examplesPanel";
import { filtersPanel } from "./filtersPanel";
import { gridControls } from "./gridControls";
import { inputNote } from "./inputNote";
import { inputPanel } from "./inputPanel";
import { explorerKeys } from "./keyboard";
import { foldedSection, keysHelp } from "./layout";
import { layerPicker } from "./layerPicker";
import { livePanel } from "./livePanel";
import { maximizeOptions } from "./maximizeOptions";
import { maximizePanel } from "./maximizePanel";
import { predictionsPanel } from "./predictionsPanel";
import pictureStyles from "./pictures.css";
import { asBytes, decodeGrid, type Grid } from "./protocol";
import styles from "./styles.css";
import type { Context, GridMeta, Panel, Traits, WidgetModel } from "./types";
import { Transport } from "./transport";
import { unitDetail } from "./unitDetail";

type PanelFactory = (ctx: Context) => Panel;

/** The regions of the layout and their panels, top to bottom. */
export const REGIONS = {
  /** The toolbar over everything. */
  toolbar: [layerPicker, gridControls],
  /** The network side: the grid (scrolling in its own box). */
  grid: [activationGrid, filtersPanel],
  /** Folded under the grid: [section name, title, panels]. */
  folded: [["options", "Maximization options", [maximizeOptions]], ["dream", "DeepDream", [dreamPanel]]] as [string, string, PanelFactory[]][],
  /** Stage, first column: the input picture (the live view takes its place) over the unit's map. */
  picture: [inputPanel, inputNote, livePanel, unitDetail],
  /** Stage, second column: the top-5 classes, what the unit wants to see, its dataset examples, attribution, the atlas, "make it say X". */
  unit: [predictionsPanel, maximizePanel, examplesPanel, attributionPanel, attributionMethods, atlasHover, adversarialPanel],
} as const;

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
  dream_image: true, atlas_units: true, option_specs: true, unit_examples: true, examples_layers: true,
  predictions: true, attribution_method: true, attribution_methods: true, attribution_class: true,
  attribution_state: true, filters: true, filters_meta: true, classes: true, adversarial_state: true,
  adversarial_image: true, adversarial_perturbation: true, adversarial_options: true, input_notes: true,
};

/** Every synced trait a panel may react to. */
export const TRAITS = Object.keys(TRAIT_KEYS) as (keyof Traits)[];

function render({ model: manager, el }: { model: WidgetModel; el: HTMLElement }): () => void {
  const off = new Disposer();
  const transport = new Transport(manager);
  const model = transport.model; // sends and receives bulk bytes in the encoding that works
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
  const make = (factories: readonly PanelFactory[]) => factories.map((f) => f(ctx));
  const toolbar = make(REGIONS.toolbar), gridSide = make(REGIONS.grid);
  const folded = REGIONS.folded.map(([name, title, factories]) => ({ name, title, panels: make(factories) }));
  const picture = make(REGIONS.picture), unit = make(REGIONS.unit);
  const panels: Panel[] = [banner, ...toolbar, ...gridSide, ...folded.flatMap((f) => f.panels), ...picture, ...unit];
  const els = (list: Panel[]) => list.map((p) => p.el);
  const root = h("div", { class: "cnnx", "data-testid": "cnn-explorer", role: "region", "aria-label": "CNN explorer" },
    h("style", {}, styles + pictureStyles),
    banner.el,
    h("div", { class: "cnnx-toolbar", role: "toolbar", "aria-label": "Layer and grid" }, ...els(toolbar), keysHelp()),
    h("div", { class: "cnnx-body" },
      h("div", { class: "cnnx-col cnnx-left", role: "group", "aria-label": "Network" }, ...els(gridSide),
        ...folded.map((f) => foldedSection(f.name, f.title, els(f.panels)))),
      h("div", { class: "cnnx-stage" },
        h("div", { class: "cnnx-col cnnx-picture", role: "group", "aria-label": "Picture and selected unit" }, ...els(picture)),
        h("div", { class: "cnnx-col cnnx-unitcol", role: "group", "aria-label": "What the unit wants to see" }, ...els(unit)))));
  el.replaceChildren(root);
  const gridEl = root.querySelector<HTMLElement>("[data-testid=activation-grid]")!;
  off.add(explorerKeys(root, model, gridEl));
  transport.onEncoding((encoding) => {
    root.dataset.transport = encoding;
    if (encoding === "base64") {
      gridStale = true; // what came as buffers may be missing: read the traits again
      refreshImage();
      for (const trait of TRAITS) changed(trait);
    }
  });
  transport.probe();

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
