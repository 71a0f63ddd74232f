// Dataset examples (data-testid="dataset-examples"): the selected unit's top crops from the
// user's own images (trait `unit_examples`, made by cnnwidget.dataset_examples), strongest first,
// each with its score underneath, read like the live top crops. Hovering a crop shows the whole
// picture with the receptive-field box drawn on it (data-testid="example-whole") and the unit's
// map over the picture as the model sees it (data-testid="example-map").
import { Disposer, fmt, h, listen } from "./dom";
import type { Context, DatasetExample, Panel, UnitExamples } from "./types";

const TILE = 56;
const WHOLE = 240;

export function examplesPanel(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const caption = h("div", { class: "cnnx-caption", "data-testid": "dataset-examples-caption" });
  const strip = h("div", { class: "cnnx-examples" });
  const wholeImg = h("img", { alt: "whole picture", "data-testid": "example-whole-image" });
  const mapImg = h("img", { alt: "the unit's map", "data-testid": "example-map", width: WHOLE / 2, height: WHOLE / 2 });
  const frame = h("div", { class: "cnnx-example-box" });
  const wholeCaption = h("div", { class: "cnnx-caption" });
  const whole = h("div", {
    "data-testid": "example-whole", role: "tooltip", hidden: true,
    style: "position:fixed;z-index:1000;pointer-events:none;background:#fff;border:1px solid #bbb;" +
      "border-radius:4px;padding:4px;box-shadow:0 2px 8px rgba(0,0,0,.2)",
  }, h("div", { style: "display:flex;gap:4px;align-items:flex-start" },
    h("div", { style: "position:relative;line-height:0" }, wholeImg, frame), mapImg), wholeCaption);
  const el = h("div", { class: "cnnx-cropbox", "data-testid": "dataset-examples", hidden: true },
    caption, strip, whole);

  function hover(tile: HTMLElement, example: DatasetExample): void {
    if (!example.whole) return;
    wholeImg.src = example.whole;
    const [w, hgt] = example.size;
    const scale = WHOLE / Math.max(w, hgt);
    wholeImg.width = Math.round(w * scale);
    wholeImg.height = Math.round(hgt * scale);
    const [l, t, r, b] = example.box;
    frame.style.cssText = `position:absolute;border:2px solid #e33;left:${l * scale}px;top:${t * scale}px;` +
      `width:${(r - l) * scale}px;height:${(b - t) * scale}px;box-sizing:border-box`;
    mapImg.hidden = !example.map;
    if (example.map) mapImg.src = example.map;
    wholeCaption.textContent = `#${example.rank + 1} · ${fmt(example.score)} · ${example.name}` +
      (example.label ? ` (${example.label})` : "");
    const box = tile.getBoundingClientRect();
    whole.style.left = `${Math.max(0, box.left - WHOLE * 1.5 - 24)}px`;
    whole.style.top = `${Math.max(0, Math.min(box.top, window.innerHeight - WHOLE - 40))}px`;
    whole.dataset.rank = String(example.rank);
    whole.hidden = false;
  }

  // What the strip shows now: a `selected` echo from the kernel for the same unit must not
  // rebuild the tiles under the pointer (that would close an open hover picture).
  let shown: { data: Partial<UnitExamples>; same: boolean } | null = null;

  function show(): void {
    const data: Partial<UnitExamples> = model.get("unit_examples") ?? {};
    const sel = model.get("selected");
    const list = data.examples ?? [];
    const same = sel.length === 2 && data.layer === sel[0] && data.channel === sel[1];
    if (shown && shown.data === data && shown.same === same) return;
    shown = { data, same };
    el.hidden = !same || !list.length;
    whole.hidden = true;
    if (el.hidden) {
      strip.replaceChildren();
      return;
    }
    caption.textContent = `${data.layer} #${data.channel}: top ${list.length} of your images (strongest first)`;
    strip.replaceChildren(...list.map((example) => {
      const img = h("img", { src: example.crop, width: TILE, height: TILE, alt: `example ${example.rank + 1}` });
      const tile = h("figure", {
        class: "cnnx-example", "data-testid": "unit-example", "data-rank": example.rank,
        "data-score": example.score, title: `${example.name}${example.label ? ` (${example.label})` : ""}`,
      }, img, h("figcaption", {}, fmt(example.score)));
      off.add(listen(tile, "pointerenter", () => hover(tile, example)));
      off.add(listen(tile, "pointerleave", () => { whole.hidden = true; }));
      return tile;
    }));
  }

  return {
    el,
    update(changed) {
      if (changed.has("unit_examples") || changed.has("selected")) show();
    },
    dispose: () => off.run(),
  };
}
