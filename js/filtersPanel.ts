// The first convolution's filters (`filters` bytes: uint8 count×height×width×3, described by
// `filters_meta`) as enlarged tiles in data-testid="filters"; each tile is a canvas
// data-testid="filter" with data-channel. Clicking a tile selects that unit of the layer.
import { Disposer, h, listen } from "./dom";
import { asBytes } from "./protocol";
import type { Context, Panel } from "./types";

interface FiltersMeta { layer?: string; count?: number; height?: number; width?: number; colour?: boolean }

const ZOOM = 4;

export function filtersPanel(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const tiles = h("div", { class: "cnnx-filters", "data-testid": "filters" });
  const caption = h("div", { class: "cnnx-caption" });
  const el = h("details", { class: "cnnx-col" }, h("summary", { class: "cnnx-label" }, "First-layer filters"), caption, tiles);

  function draw(): void {
    const meta = (model.get("filters_meta") ?? {}) as FiltersMeta;
    const bytes = asBytes(model.get("filters"));
    const n = meta.count ?? 0, fh = meta.height ?? 0, fw = meta.width ?? 0;
    el.hidden = !n || bytes.byteLength !== n * fh * fw * 3;
    if (el.hidden) return;
    caption.textContent = `${meta.layer}: ${n} filters, ${fw}×${fh}, ${meta.colour ? "RGB" : "grey (mean over input channels)"}; grey = 0, click one to select it`;
    tiles.dataset.layer = meta.layer;
    tiles.replaceChildren(...Array.from({ length: n }, (_, c) => {
      const canvas = h("canvas", { class: "cnnx-filter", "data-testid": "filter", "data-channel": c, width: fw, height: fh, title: `${meta.layer} #${c}` });
      canvas.style.width = `${fw * ZOOM}px`;
      canvas.style.height = `${fh * ZOOM}px`;
      const g = canvas.getContext("2d");
      if (g) {
        const image = g.createImageData(fw, fh);
        for (let i = 0; i < fw * fh; i++) {
          const src = (c * fw * fh + i) * 3;
          image.data.set([bytes[src], bytes[src + 1], bytes[src + 2], 255], i * 4);
        }
        g.putImageData(image, 0, 0);
      }
      return canvas;
    }));
  }

  off.add(listen<MouseEvent>(tiles, "click", (event) => {
    const tile = (event.target as HTMLElement).closest("[data-testid=filter]") as HTMLElement | null;
    const layer = tiles.dataset.layer;
    if (!tile || !layer) return;
    model.set("selected", [layer, Number(tile.dataset.channel)]);
    model.save_changes();
  }));

  return {
    el,
    update(changed) {
      if (changed.has("filters") || changed.has("filters_meta")) draw();
    },
    dispose: () => off.run(),
  };
}
