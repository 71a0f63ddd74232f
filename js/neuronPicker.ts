// Neuron mode of the maximization: a click on the enlarged unit map (unitDetail's overlay)
// chooses the position [y, x] in the layer's map, writes the `neuron` trait and asks the kernel
// to maximize that neuron. The chosen position is marked with a square.
import { listen } from "./dom";
import { MAXIMIZE } from "./protocol";
import type { Context, LayerInfo } from "./types";

export interface NeuronPicker {
  /** Draw the chosen neuron on `g` (a `side`×`side` drawing of the selected unit's map). */
  mark(g: CanvasRenderingContext2D, side: number): void;
  dispose(): void;
}

/** The layer's own map size (the grid sent may be pooled for very large layers). */
function mapSize(ctx: Context, layer: string): [number, number] | null {
  const info = (ctx.model.get("layers") as LayerInfo[] | undefined)?.find((l) => l.name === layer);
  return info ? [info.shape[1], info.shape[2]] : null;
}

/** Whether neuron mode is on and the selected unit's map is what the canvas shows. */
function pickable(ctx: Context): [string, number] | null {
  const sel = ctx.model.get("selected") as [string, number] | [];
  const grid = ctx.grid();
  if (ctx.model.get("maximize_options")?.mode !== "neuron" || sel.length !== 2 || grid?.layer !== sel[0]) return null;
  return sel;
}

export function neuronPicker(ctx: Context, canvas: HTMLCanvasElement): NeuronPicker {
  const { model } = ctx;
  const remove = listen<MouseEvent>(canvas, "click", (event) => {
    const sel = pickable(ctx);
    const size = sel && mapSize(ctx, sel[0]);
    if (!sel || !size) return;
    const box = canvas.getBoundingClientRect();
    const [mh, mw] = size;
    const y = Math.min(mh - 1, Math.max(0, Math.floor(((event.clientY - box.top) / box.height) * mh)));
    const x = Math.min(mw - 1, Math.max(0, Math.floor(((event.clientX - box.left) / box.width) * mw)));
    model.set("neuron", [y, x]);
    model.save_changes();
    model.send({ type: MAXIMIZE, layer: sel[0], channel: sel[1] }); // after the trait: same channel, in order
  });

  return {
    mark(g, side) {
      const sel = pickable(ctx);
      canvas.toggleAttribute("data-pick", !!sel);
      const neuron = model.get("neuron") as [number, number] | [];
      const size = sel && mapSize(ctx, sel[0]);
      if (!size || neuron.length !== 2) return;
      const cw = side / size[1], ch = side / size[0];
      g.lineWidth = 2;
      g.strokeStyle = "rgba(255,64,64,0.95)";
      g.strokeRect(neuron[1] * cw + 1, neuron[0] * ch + 1, Math.max(cw - 2, 4), Math.max(ch - 2, 4));
    },
    dispose: remove,
  };
}
