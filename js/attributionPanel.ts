// Attribution of the selected unit: a toggle (data-testid="attribution", bound to
// `show_attribution`) and, while on, the Grad-CAM heat map (`attribution` bytes, uint8 H×W,
// described by `attribution_meta`) drawn over the input picture
// (data-testid="attribution-overlay", data-unit="layer:channel" of the map drawn).
// The unit's own upsampled map is drawn by unitDetail.
import { lut } from "./colormap";
import { Disposer, h, listen } from "./dom";
import { asBytes } from "./protocol";
import type { Context, Panel } from "./types";

interface AttributionMeta {
  unit?: [string, number];
  label?: string;
  class?: number;
  height?: number;
  width?: number;
}

export function attributionPanel(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const toggle = h("input", { type: "checkbox", "data-testid": "attribution" });
  const photo = h("img", { class: "cnnx-photo", alt: "" });
  const heat = h("canvas", { class: "cnnx-overlay cnnx-heat", "data-testid": "attribution-overlay", width: 1, height: 1 });
  const caption = h("div", { class: "cnnx-caption", "data-testid": "attribution-caption" });
  const frame = h("div", { class: "cnnx-frame" }, photo, heat);
  const body = h("div", { class: "cnnx-col", hidden: true }, caption, frame);
  const el = h("div", { class: "cnnx-attribution" },
    h("label", { class: "cnnx-row cnnx-label" }, toggle, "Attribution: where the evidence is, and why"), body);
  let url = "";

  function methodLabel(): string {
    const methods = (model.get("attribution_methods") ?? []) as { name: string; label: string }[];
    return methods.find((m) => m.name === model.get("attribution_method"))?.label ?? "Grad-CAM";
  }

  function draw(): void {
    const on = !!model.get("show_attribution");
    toggle.checked = on;
    body.hidden = !on;
    const meta: AttributionMeta = model.get("attribution_meta") ?? {};
    const bytes = asBytes(model.get("attribution"));
    const w = meta.width ?? 0, hgt = meta.height ?? 0;
    const sel = model.get("selected") as [string, number] | [];
    const unit = meta.unit ? `${meta.unit[0]}:${meta.unit[1]}` : "";
    const chosen = Number(model.get("attribution_class") ?? -1);
    const label = meta.label ?? "Grad-CAM";
    if (chosen >= 0) {
      const current = meta.class === chosen && label === methodLabel();
      heat.toggleAttribute("data-stale", !current);
      caption.textContent = current ? `${label} of class ${chosen}: bright = strongest evidence` : `computing ${methodLabel()} of class ${chosen}…`;
      heat.dataset.class = String(meta.class ?? -1);
    }
    const current = sel.length === 2 && unit === `${sel[0]}:${sel[1]}` && (meta.class ?? -1) < 0;
    if (chosen < 0) heat.toggleAttribute("data-stale", !current);
    if (chosen < 0) caption.textContent = sel.length !== 2
      ? "Select a unit to see which parts of the picture drive it"
      : current ? `${label} of ${sel[0]} #${sel[1]}: bright = strongest evidence` : `computing ${methodLabel()} of ${sel[0]} #${sel[1]}…`;
    if (!on || !w || !hgt || bytes.byteLength !== w * hgt) return;
    heat.width = w;
    heat.height = hgt;
    const g = heat.getContext("2d")!;
    const image = g.createImageData(w, hgt);
    const table = lut("magma");
    for (let i = 0; i < w * hgt; i++) {
      const k = bytes[i] * 4, o = i * 4;
      image.data[o] = table[k];
      image.data[o + 1] = table[k + 1];
      image.data[o + 2] = table[k + 2];
      image.data[o + 3] = Math.round(bytes[i] * 0.8); // weak evidence stays transparent
    }
    g.putImageData(image, 0, 0);
    heat.dataset.unit = unit;
  }

  off.add(listen(toggle, "change", () => {
    model.set("show_attribution", toggle.checked);
    model.save_changes();
  }));

  return {
    el,
    update(changed) {
      if (changed.has("image") && ctx.imageUrl() !== url) photo.src = url = ctx.imageUrl();
      if (["show_attribution", "attribution", "attribution_meta", "selected", "attribution_class", "attribution_method"].some((t) => changed.has(t))) draw();
    },
    dispose: () => off.run(),
  };
}
