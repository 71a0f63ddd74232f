// The activation grid (data-testid="activation-grid"): one small <canvas> per channel
// (data-testid="unit", data-layer, data-channel, data-selected), painted from the quantized
// bytes through the colormap LUT. Hover shows channel, max and mean; click selects the unit.
import { lut } from "./colormap";
import { Disposer, fmt, h, listen } from "./dom";
import { displayOrder, paintTile } from "./paint";
import { channelStats, type Grid } from "./protocol";
import type { Context, LayerInfo, Panel } from "./types";

const REPAINT = ["grid", "grid_meta", "colormap", "normalization"];

/** CSS size of one tile: big tiles for few channels, small ones so 512 still fit. */
function tileSize(channels: number): number {
  return channels <= 16 ? 96 : channels <= 64 ? 60 : channels <= 128 ? 44 : channels <= 256 ? 34 : 26;
}

export function activationGrid(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const caption = h("div", { class: "cnnx-caption", "data-testid": "grid-caption" });
  const grid = h("div", {
    class: "cnnx-grid",
    "data-testid": "activation-grid",
    role: "listbox",
    tabindex: 0,
    "aria-label": "Activation maps, one per channel",
  });
  const tip = h("div", { class: "cnnx-tip", "data-testid": "unit-tooltip", role: "tooltip", hidden: true });
  const el = h("div", { class: "cnnx-gridpanel" }, caption, h("div", { class: "cnnx-gridwrap" }, grid, tip));
  let units: HTMLCanvasElement[] = [];
  let images: (ImageData | undefined)[] = [];
  let order: number[] = [];
  let data: Grid | null = null;
  let marked: HTMLCanvasElement | undefined;

  function resize(next: Grid | null): void {
    const n = next?.channels ?? 0;
    while (units.length > n) units.pop()!.remove();
    images.length = Math.min(images.length, n);
    while (units.length < n) {
      const c = units.length;
      const unit = h("canvas", {
        "data-testid": "unit",
        "data-channel": c,
        role: "option",
        class: "cnnx-unit",
        "aria-label": `channel ${c}`,
      });
      units.push(unit);
      grid.append(unit);
    }
    if (!next) return;
    for (const unit of units) {
      if (unit.width !== next.width || unit.height !== next.height) {
        unit.width = next.width;
        unit.height = next.height;
      }
      unit.dataset.layer = next.layer;
    }
    grid.style.setProperty("--cnnx-tile", `${tileSize(n)}px`);
  }

  function repaint(): void {
    if (!data) return;
    const table = lut(model.get("colormap"));
    const perLayer = model.get("normalization") === "layer";
    for (let c = 0; c < units.length; c++) {
      const g = units[c].getContext("2d");
      if (g) images[c] = paintTile(g, data, c, table, perLayer, images[c]);
    }
  }

  function reorder(): void {
    const next = data ? displayOrder(data, model.get("sort")) : [];
    if (next.length === order.length && next.every((c, i) => c === order[i])) return;
    order = next;
    grid.append(...order.map((c) => units[c]));  // moves existing nodes; no new elements
  }

  function markSelection(): void {
    const sel = model.get("selected") as [string, number] | [];
    const hit = data && sel.length === 2 && sel[0] === data.layer ? units[sel[1]] : undefined;
    if (marked && marked !== hit) {
      marked.dataset.selected = "false";
      marked.setAttribute("aria-selected", "false");
    }
    for (const unit of units) if (!unit.dataset.selected) unit.dataset.selected = "false";
    if (hit) {
      hit.dataset.selected = "true";
      hit.setAttribute("aria-selected", "true");
    }
    marked = hit;
  }

  function describe(): void {
    const wanted = model.get("layer");
    const busy = !!data && data.layer !== wanted;
    el.toggleAttribute("data-busy", busy);
    const info = (model.get("layers") as LayerInfo[]).find((l) => l.name === data?.layer);
    caption.textContent = !data
      ? "no activations yet"
      : `${data.layer}${info ? ` (${info.type})` : ""} · ${data.channels} channels · ${data.height}×${data.width}` +
        (busy ? ` · computing ${wanted}…` : "");
  }

  function select(channel: number): void {
    if (!data || channel < 0 || channel >= data.channels) return;
    model.set("selected", [data.layer, channel]);
    model.save_changes();
  }

  function unitOf(event: Event): HTMLCanvasElement | null {
    const target = (event.target as Element | null)?.closest?.("[data-testid=unit]");
    return target && grid.contains(target) ? (target as HTMLCanvasElement) : null;
  }

  off.add(
    listen(grid, "click", (event) => {
      const unit = unitOf(event);
      if (unit) select(Number(unit.dataset.channel));
    }),
  );
  off.add(
    listen(grid, "pointerover", (event) => {
      const unit = unitOf(event);
      if (!unit || !data) return;
      const c = Number(unit.dataset.channel);
      const s = channelStats(data, c);
      tip.textContent = `#${c}  max ${fmt(s.max)}  mean ${fmt(s.mean)}`;
      const box = unit.getBoundingClientRect(), wrap = grid.parentElement!.getBoundingClientRect();
      tip.style.left = `${box.left - wrap.left + box.width / 2}px`;
      tip.style.top = `${box.top - wrap.top}px`;
      tip.hidden = false;
    }),
  );
  off.add(listen(grid, "pointerleave", () => (tip.hidden = true)));
  off.add(listen(grid, "scroll", () => (tip.hidden = true)));
  off.add(
    listen<KeyboardEvent>(grid, "keydown", (event) => {
      const sel = model.get("selected") as [string, number] | [];
      const at = sel.length === 2 && data && sel[0] === data.layer ? order.indexOf(sel[1]) : -1;
      const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
      if (step && order.length) {
        event.preventDefault();
        const next = order[Math.max(0, Math.min(order.length - 1, at + step))];
        select(next);
        units[next]?.scrollIntoView({ block: "nearest" });
      } else if (event.key === "Escape") {
        model.set("selected", []);
        model.save_changes();
      }
    }),
  );

  return {
    el,
    update(changed) {
      if (changed.has("grid") || changed.has("grid_meta")) {
        data = ctx.grid();
        resize(data);
      }
      if (REPAINT.some((t) => changed.has(t))) repaint();
      if (changed.has("grid") || changed.has("grid_meta") || changed.has("sort")) reorder();
      if (changed.has("grid") || changed.has("grid_meta") || changed.has("selected")) markSelection();
      describe();
    },
    dispose: () => off.run(),
  };
}
