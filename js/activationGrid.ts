// The activation grid (data-testid="activation-grid"): one element per channel
// (data-testid="unit", data-layer, data-channel, data-selected) for layout, hover, click and
// keyboard, and ONE canvas behind them that shows every tile, painted from the quantized bytes
// through the colormap LUT. (One canvas per tile made each of hundreds of tiles a composited
// layer: redrawing them cost the browser ~4× more than one canvas, see bench_live.py.)
// Hover shows channel, max and mean; click selects the unit.
import { lut } from "./colormap";
import { Disposer, fmt, h, listen, setText } from "./dom";
import { displayOrder, paintSheet, sheetColumns } from "./paint";
import { channelStats, type Grid } from "./protocol";
import type { Context, LayerInfo, Panel } from "./types";

const REPAINT = ["grid", "grid_meta", "colormap", "normalization"];

/** CSS size of one tile: big tiles for few channels, small ones so 512 still fit. */
function tileSize(channels: number): number {
  return channels <= 16 ? 96 : channels <= 64 ? 60 : channels <= 128 ? 44 : channels <= 256 ? 34 : 26;
}

let grids = 0; // makes each view's unit ids unique on the page (aria-activedescendant)

export function activationGrid(ctx: Context): Panel {
  const { model } = ctx;
  const uid = `cnnx${++grids}`;
  const off = new Disposer();
  const caption = h("div", { class: "cnnx-caption", "data-testid": "grid-caption" });
  const grid = h("div", {
    class: "cnnx-grid",
    "data-testid": "activation-grid",
    role: "listbox",
    tabindex: 0,
    "aria-label": "Activation maps, one per channel. Arrows move, Enter maximizes, Esc clears",
    // Lumino (JupyterLab) leaves keys typed here to the grid: arrows are not "select cell above".
    "data-lm-suppress-shortcuts": "true",
  });
  const tip = h("div", { class: "cnnx-tip", "data-testid": "unit-tooltip", role: "tooltip", hidden: true });
  const sheet = h("canvas", { class: "cnnx-sheet", "data-testid": "grid-canvas", "aria-hidden": "true" });
  grid.append(sheet);
  const el = h("div", { class: "cnnx-gridpanel" }, caption, h("div", { class: "cnnx-gridwrap" }, grid, tip));
  const tiles = document.createElement("canvas"); // all tiles at native size (paintSheet)
  let image: ImageData | undefined;
  let units: HTMLElement[] = [];
  let boxes: DOMRect[] = []; // each unit's box relative to the sheet, in CSS px
  let layoutStale = true;
  let order: number[] = [];
  let data: Grid | null = null;
  let marked: HTMLElement | undefined;

  let shape = ""; // layer and channel count the units were made for

  function resize(next: Grid | null): void {
    const n = next?.channels ?? 0;
    const wanted = next ? `${next.layer}/${n}` : "";
    if (wanted === shape) return; // a new frame of the same layer: the tiles stay where they are
    shape = wanted;
    while (units.length > n) units.pop()!.remove();
    while (units.length < n) {
      const c = units.length;
      const unit = h("div", {
        "data-testid": "unit",
        "data-channel": c,
        role: "option",
        class: "cnnx-unit",
        "aria-label": `channel ${c}`,
        id: `${uid}-unit-${c}`,
      });
      units.push(unit);
      grid.append(unit);
    }
    layoutStale = true;
    if (!next) return;
    for (const unit of units) unit.dataset.layer = next.layer;
    grid.style.setProperty("--cnnx-tile", `${tileSize(n)}px`);
  }

  /** Paint every tile into `tiles` (one putImageData), then copy them onto the sheet. */
  function repaint(): void {
    if (!data) return;
    image = paintSheet(data, lut(model.get("colormap")), model.get("normalization") === "layer", image);
    if (tiles.width !== image.width || tiles.height !== image.height) {
      tiles.width = image.width;
      tiles.height = image.height;
    }
    tiles.getContext("2d")!.putImageData(image, 0, 0);
    blit();
  }

  /** Copy each tile from `tiles` to its unit's place on the sheet (nearest-neighbour, crisp). */
  function blit(): void {
    if (layoutStale) measure();
    const g = sheet.getContext("2d");
    if (!g) return;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, sheet.width, sheet.height);
    if (!data || boxes.length !== data.channels) return;
    const dpr = window.devicePixelRatio || 1, { width: w, height: hgt } = data, cols = sheetColumns(data.channels);
    g.imageSmoothingEnabled = false;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    for (let c = 0; c < data.channels; c++) {
      const b = boxes[c];
      if (b.width > 0) g.drawImage(tiles, (c % cols) * w, Math.floor(c / cols) * hgt, w, hgt, b.x, b.y, b.width, b.height);
    }
  }

  /** Read the units' boxes (after a layout change) and size the sheet to cover them. */
  function measure(): void {
    layoutStale = false;
    const origin = grid.getBoundingClientRect();
    const x0 = origin.left + grid.clientLeft - grid.scrollLeft, y0 = origin.top + grid.clientTop - grid.scrollTop;
    let right = 0, bottom = 0;
    boxes = units.map((unit) => {
      const r = unit.getBoundingClientRect();
      const box = new DOMRect(r.left - x0, r.top - y0, r.width, r.height);
      right = Math.max(right, box.right);
      bottom = Math.max(bottom, box.bottom);
      return box;
    });
    const dpr = window.devicePixelRatio || 1;
    const bw = Math.ceil(right * dpr), bh = Math.ceil(bottom * dpr);
    if (sheet.width !== bw || sheet.height !== bh) {
      sheet.width = bw;
      sheet.height = bh;
    }
    sheet.style.width = `${bw / dpr}px`;
    sheet.style.height = `${bh / dpr}px`;
  }

  function reorder(): void {
    const next = data ? displayOrder(data, model.get("sort")) : [];
    if (next.length === order.length && next.every((c, i) => c === order[i])) return;
    order = next;
    grid.append(...order.map((c) => units[c]));  // moves existing nodes; no new elements
    layoutStale = true;
  }

  // The grid's width (window, column resize) or visibility changed: the tiles moved.
  const observer = new ResizeObserver(() => {
    layoutStale = true;
    if (data) blit();
  });
  observer.observe(grid);
  off.add(() => observer.disconnect());

  function markSelection(): void {
    const sel = model.get("selected") as [string, number] | [];
    const hit = data && sel.length === 2 && sel[0] === data.layer ? units[sel[1]] : undefined;
    if (marked && marked !== hit) {
      marked.dataset.selected = "false";
      marked.setAttribute("aria-selected", "false");
    }
    for (const unit of units) if (!unit.dataset.selected) unit.dataset.selected = "false";
    if (hit && hit.dataset.selected !== "true") {
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
    setText(caption, !data
      ? "no activations yet"
      : `${data.layer}${info ? ` (${info.type})` : ""} · ${data.channels} channels · ${data.height}×${data.width}` +
        (busy ? ` · computing ${wanted}…` : ""));
  }

  function select(channel: number): void {
    if (!data || channel < 0 || channel >= data.channels) return;
    model.set("selected", [data.layer, channel]);
    model.save_changes();
  }

  function unitOf(event: Event): HTMLElement | null {
    const target = (event.target as Element | null)?.closest?.("[data-testid=unit]");
    return target && grid.contains(target) ? (target as HTMLElement) : null;
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
  /** Tiles per drawn row: the units that share the first one's top edge. */
  function columns(): number {
    const first = units[order[0]];
    if (!first) return 1;
    let n = 0;
    while (n < order.length && units[order[n]].offsetTop === first.offsetTop) n++;
    return Math.max(1, n);
  }

  // Arrows move as the tiles are drawn: Left/Right one tile, Up/Down one row (Home/End: the
  // first and last). Enter and Esc are the explorer's keys (keyboard.ts).
  off.add(
    listen<KeyboardEvent>(grid, "keydown", (event) => {
      if (!order.length || event.altKey || event.ctrlKey || event.metaKey) return;
      const sel = model.get("selected") as [string, number] | [];
      const at = sel.length === 2 && data && sel[0] === data.layer ? order.indexOf(sel[1]) : -1;
      const row = columns();
      const target = {
        ArrowRight: at + 1, ArrowLeft: at - 1, ArrowDown: at < 0 ? 0 : at + row, ArrowUp: at < 0 ? 0 : at - row,
        Home: 0, End: order.length - 1,
      }[event.key];
      if (target === undefined) return;
      event.preventDefault();
      event.stopPropagation();
      if (target < 0 || target >= order.length) return; // past the first or last row: stay
      const next = order[target];
      select(next);
      grid.setAttribute("aria-activedescendant", units[next].id);
      units[next]?.scrollIntoView({ block: "nearest" });
    }),
  );

  return {
    el,
    update(changed) {
      if (changed.has("grid") || changed.has("grid_meta")) {
        data = ctx.grid();
        resize(data);
      }
      if (changed.has("grid") || changed.has("grid_meta") || changed.has("sort")) reorder();
      if (REPAINT.some((t) => changed.has(t))) repaint();
      else if (layoutStale && data) blit();
      if (changed.has("grid") || changed.has("grid_meta") || changed.has("selected")) markSelection();
      describe();
    },
    dispose: () => off.run(),
  };
}
