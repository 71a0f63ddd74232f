// Options of the next maximization (data-testid="maximize-options"), bound to the
// `maximize_options` trait: steps, size, parameterization, transforms, channel or neuron,
// start from the input image, batch of diverse pictures, negative; plus `auto_maximize`.
// Each control has data-testid="opt-<key>". In neuron mode a click on the enlarged map
// chooses the neuron (neuronPicker.ts); switching to it starts at the unit's strongest position.
import { Disposer, h, listen, setOptions } from "./dom";
import { channelStats } from "./protocol";
import type { Context, LayerInfo, Panel } from "./types";

/** Whole-number options and their ranges (cnnwidget/maximize_job.py LIMITS). */
const NUMBERS: Record<string, [number, number, number, string]> = {
  steps: [1, 4096, 1, "steps"],
  size: [32, 512, 16, "size px"],
  batch: [1, 8, 1, "batch"],
};
const CHOICES: Record<string, Record<string, string>> = {
  param: { fft: "Fourier + decorrelated", maco: "natural amplitudes (MACO)", pixel: "pixels" },
  mode: { channel: "whole channel", neuron: "one neuron" },
};
const FLAGS: Record<string, string> = {
  transforms: "transforms",
  from_image: "from input image",
  negative: "negative",
  mask: "transparency mask",
};

export function maximizeOptions(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const inputs: Record<string, HTMLInputElement | HTMLSelectElement> = {};
  const field = (label: string, control: HTMLElement) =>
    h("label", { class: "cnnx-opt" }, h("span", { class: "cnnx-muted" }, label), control);
  const flag = (label: string, control: HTMLElement) => h("label", { class: "cnnx-opt cnnx-flag" }, control, label);

  const numbers = Object.entries(NUMBERS).map(([key, [min, max, step, label]]) => {
    inputs[key] = h("input", { type: "number", min, max, step, class: "cnnx-select cnnx-num", "data-testid": `opt-${key}` });
    return field(label, inputs[key]);
  });
  const choices = Object.entries(CHOICES).map(([key, labels]) => {
    const select = h("select", { class: "cnnx-select", "data-testid": `opt-${key}`, "aria-label": key });
    setOptions(select, Object.keys(labels), labels);
    inputs[key] = select;
    return field(key === "param" ? "image" : "maximize", select);
  });
  const flags = Object.entries(FLAGS).map(([key, label]) => {
    inputs[key] = h("input", { type: "checkbox", "data-testid": `opt-${key}` });
    return flag(label, inputs[key]);
  });
  const auto = h("input", { type: "checkbox", "data-testid": "opt-auto" });
  const neuron = h("span", { class: "cnnx-caption", "data-testid": "opt-neuron" });
  const el = h("fieldset", { class: "cnnx-options", "data-testid": "maximize-options" },
    h("legend", { class: "cnnx-label" }, "Maximization options"),
    h("div", { class: "cnnx-row" }, ...numbers, ...choices),
    h("div", { class: "cnnx-row" }, ...flags, flag("maximize on click", auto)),
    neuron);

  function write(): void {
    const next: Record<string, unknown> = { ...(model.get("maximize_options") ?? {}) };
    for (const [key, [min, max]] of Object.entries(NUMBERS)) {
      const input = inputs[key] as HTMLInputElement;
      const value = Math.round(Number(input.value));
      next[key] = Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : next[key];
      input.value = String(next[key]);
    }
    for (const key of Object.keys(CHOICES)) next[key] = inputs[key].value;
    for (const key of Object.keys(FLAGS)) next[key] = (inputs[key] as HTMLInputElement).checked;
    if (next.mode === "neuron" && (model.get("neuron") ?? []).length !== 2) {
      const start = strongest();
      if (start) model.set("neuron", start);
    }
    model.set("maximize_options", next);
    model.save_changes();
  }

  /** The selected unit's strongest position in its layer's map, to start neuron mode from. */
  function strongest(): [number, number] | null {
    const grid = ctx.grid();
    const sel = model.get("selected") as [string, number] | [];
    const info = (model.get("layers") as LayerInfo[]).find((l) => l.name === sel[0]);
    if (!grid || !info || sel.length !== 2 || grid.layer !== sel[0]) return null;
    const at = channelStats(grid, sel[1]).argmax;
    const y = Math.floor(at / grid.width), x = at % grid.width;
    const [, mh, mw] = info.shape;
    return [Math.floor(((y + 0.5) * mh) / grid.height), Math.floor(((x + 0.5) * mw) / grid.width)];
  }

  function read(): void {
    const options = model.get("maximize_options") ?? {};
    for (const key of [...Object.keys(NUMBERS), ...Object.keys(CHOICES)]) {
      if (options[key] !== undefined) inputs[key].value = String(options[key]);
    }
    for (const key of Object.keys(FLAGS)) (inputs[key] as HTMLInputElement).checked = !!options[key];
  }

  function describeNeuron(): void {
    const at = model.get("neuron") as [number, number] | [];
    const on = model.get("maximize_options")?.mode === "neuron";
    neuron.hidden = !on;
    neuron.textContent = at.length === 2
      ? `neuron y ${at[0]}, x ${at[1]} · click the enlarged map to choose another`
      : "click a point on the enlarged map to choose the neuron";
  }

  for (const input of Object.values(inputs)) off.add(listen(input, "change", write));
  off.add(listen(auto, "change", () => {
    model.set("auto_maximize", auto.checked);
    model.save_changes();
  }));

  return {
    el,
    update(changed) {
      if (changed.has("maximize_options")) read();
      if (changed.has("auto_maximize")) auto.checked = !!model.get("auto_maximize");
      if (changed.has("maximize_options") || changed.has("neuron")) describeNeuron();
    },
    dispose: () => off.run(),
  };
}
