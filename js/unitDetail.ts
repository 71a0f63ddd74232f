// The selected unit (data-testid="unit-detail"): its map enlarged and laid semi-transparently
// over the input image, with a ring on the strongest position and an opacity slider.
import { lut } from "./colormap";
import { Disposer, fmt, h, listen, setText } from "./dom";
import { neuronPicker } from "./neuronPicker";
import { paintTile } from "./paint";
import { channelStats } from "./protocol";
import type { Context, Panel } from "./types";

const SIDE = 320; // backing-store pixels of the overlay canvas

export function unitDetail(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const title = h("div", { class: "cnnx-caption", "data-testid": "unit-title" });
  const photo = h("img", { class: "cnnx-photo", alt: "" });
  const overlay = h("canvas", { class: "cnnx-overlay", width: SIDE, height: SIDE });
  const picker = neuronPicker(ctx, overlay); // neuron mode: a click chooses the position to maximize
  const frame = h("div", { class: "cnnx-frame" }, photo, overlay);
  const opacity = h("input", {
    type: "range", min: 0, max: 100, value: 60, class: "cnnx-range",
    "aria-label": "Map opacity", "data-testid": "overlay-opacity",
  });
  const el = h("div", { class: "cnnx-detail", "data-testid": "unit-detail" }, title, frame,
    h("label", { class: "cnnx-muted cnnx-row" }, "map opacity", opacity));
  const small = document.createElement("canvas");
  let url = "";

  function draw(): void {
    const grid = ctx.grid();
    const sel = model.get("selected") as [string, number] | [];
    const shown = !!grid && sel.length === 2 && sel[0] === grid.layer && sel[1] < grid.channels;
    el.toggleAttribute("data-empty", !shown);
    if (!shown) {
      title.textContent = sel.length === 2
        ? `${sel[0]} #${sel[1]} is selected — pick layer ${sel[0]} to see its map`
        : "Click a unit to see its map over the image";
      overlay.getContext("2d")?.clearRect(0, 0, SIDE, SIDE);
      return;
    }
    const c = sel[1] as number;
    const s = channelStats(grid, c);
    setText(title, `${grid.layer} #${c} · max ${fmt(s.max)} · mean ${fmt(s.mean)}`);
    small.width = grid.width;
    small.height = grid.height;
    const g = small.getContext("2d")!;
    paintTile(g, grid, c, lut(model.get("colormap")), model.get("normalization") === "layer");
    const out = overlay.getContext("2d")!;
    out.clearRect(0, 0, SIDE, SIDE);
    out.imageSmoothingEnabled = true;
    out.imageSmoothingQuality = "high";
    out.drawImage(small, 0, 0, SIDE, SIDE);
    const x = ((s.argmax % grid.width) + 0.5) * (SIDE / grid.width);
    const y = (Math.floor(s.argmax / grid.width) + 0.5) * (SIDE / grid.height);
    out.lineWidth = 3;
    out.strokeStyle = "rgba(255,255,255,0.95)";
    out.beginPath();
    out.arc(x, y, Math.max(8, SIDE / grid.width / 2), 0, 2 * Math.PI);
    out.stroke();
    picker.mark(out, SIDE);
  }

  const setOpacity = () => (overlay.style.opacity = String(Number(opacity.value) / 100));
  off.add(listen(opacity, "input", setOpacity));
  off.add(picker.dispose);
  setOpacity();

  return {
    el,
    update(changed) {
      if (changed.has("image") && ctx.imageUrl() !== url) photo.src = url = ctx.imageUrl();
      if (["grid", "grid_meta", "selected", "colormap", "normalization", "neuron", "maximize_options"].some((t) => changed.has(t))) draw();
    },
    dispose: () => off.run(),
  };
}
