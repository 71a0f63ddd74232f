// Controls of the activation grid: normalization, colormap and sort, plus the scale in use
// and a colour legend.
import { COLORMAPS, cssGradient } from "./colormap";
import { Disposer, fmt, h, listen, setOptions, setText } from "./dom";
import type { Context, Panel } from "./types";

const CHOICES = {
  normalization: { channel: "per channel", layer: "per layer" },
  colormap: Object.fromEntries(COLORMAPS.map((c) => [c, c])),
  sort: { index: "by index", max: "by max", mean: "by mean" },
} as const;

type Trait = keyof typeof CHOICES;

export function gridControls(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const selects = {} as Record<Trait, HTMLSelectElement>;
  const el = h("div", { class: "cnnx-controls" });
  for (const trait of Object.keys(CHOICES) as Trait[]) {
    const labels: Record<string, string> = CHOICES[trait];
    const select = h("select", { class: "cnnx-select", "data-testid": `${trait}-select`, "aria-label": trait });
    setOptions(select, Object.keys(labels), labels);
    off.add(
      listen(select, "change", () => {
        model.set(trait, select.value);
        model.save_changes();
      }),
    );
    selects[trait] = select;
    el.append(select);
  }
  const legend = h("span", { class: "cnnx-legend", "aria-hidden": "true" });
  const scale = h("span", { class: "cnnx-scale", "data-testid": "scale" });
  el.append(h("span", { class: "cnnx-scalebox" }, legend, scale));

  return {
    el,
    update(changed) {
      for (const trait of Object.keys(selects) as Trait[]) {
        if (changed.has(trait)) selects[trait].value = model.get(trait);
      }
      if (changed.has("colormap")) legend.style.background = cssGradient(model.get("colormap"));
      if (changed.has("normalization") || changed.has("grid") || changed.has("grid_meta")) {
        const grid = ctx.grid();
        if (model.get("normalization") === "layer" && grid) {
          setText(scale, `scale: ${fmt(grid.layerMin)} – ${fmt(grid.layerMax)}`);
          scale.title = "one scale for the whole layer: the smallest and largest activation";
        } else {
          setText(scale, "scale: per channel");
          scale.title = "each tile stretched between its own min and max";
        }
      }
    },
    dispose: () => off.run(),
  };
}
