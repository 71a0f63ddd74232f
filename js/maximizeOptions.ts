// Options of the next maximization (data-testid="maximize-options"), bound to the
// `maximize_options` trait: steps, size, parameterization, transforms, channel or neuron,
// start from the input image, batch of diverse pictures, negative; plus `auto_maximize`.
// Each control has data-testid="opt-<key>"; the controls and their ranges come from the
// kernel's declarations (optionForm.ts). In neuron mode a click on the enlarged map
// chooses the neuron (neuronPicker.ts); switching to it starts at the unit's strongest position.
import { Disposer, h, listen } from "./dom";
import { OptionForm } from "./optionForm";
import { channelStats } from "./protocol";
import type { Context, LayerInfo, Panel } from "./types";

export function maximizeOptions(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const form = new OptionForm(model, "maximize", { testid: (key) => `opt-${key}`, floats: "number" }, write);
  const flag = (label: string, control: HTMLElement) => h("label", { class: "cnnx-opt cnnx-flag" }, control, label);
  const auto = h("input", { type: "checkbox", "data-testid": "opt-auto" });
  const autoField = flag("maximize on click", auto);
  const neuron = h("span", { class: "cnnx-caption", "data-testid": "opt-neuron" });
  const values = h("div", { class: "cnnx-row" });
  const flags = h("div", { class: "cnnx-row" }, autoField);
  const el = h("fieldset", { class: "cnnx-options", "data-testid": "maximize-options" },
    h("legend", { class: "cnnx-label" }, "Maximization options"), values, flags, neuron);

  /** Numbers and choices on the first row, flags on the second (with "maximize on click"). */
  function layout(): void {
    const isFlag = (key: string) => form.specs.find((s) => s.key === key)?.kind === "flag";
    const keys = Object.keys(form.fields);
    values.replaceChildren(...keys.filter((k) => !isFlag(k)).map((k) => form.fields[k]));
    flags.replaceChildren(...keys.filter(isFlag).map((k) => form.fields[k]), autoField);
  }

  function write(): void {
    const next = form.values();
    if (next.mode === "neuron" && (model.get("neuron") ?? []).length !== 2) {
      const start = strongest();
      if (start) model.set("neuron", start);
    }
    form.save(next);
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

  function describeNeuron(): void {
    const at = model.get("neuron") as [number, number] | [];
    const on = model.get("maximize_options")?.mode === "neuron";
    neuron.hidden = !on;
    neuron.textContent = at.length === 2
      ? `neuron y ${at[0]}, x ${at[1]} · click the enlarged map to choose another`
      : "click a point on the enlarged map to choose the neuron";
  }

  off.add(listen(auto, "change", () => {
    model.set("auto_maximize", auto.checked);
    model.save_changes();
  }));

  return {
    el,
    update(changed) {
      if (changed.has("option_specs") && form.build()) layout();
      if (changed.has("maximize_options")) form.read();
      if (changed.has("auto_maximize")) auto.checked = !!model.get("auto_maximize");
      if (changed.has("maximize_options") || changed.has("neuron")) describeNeuron();
    },
    dispose: () => {
      off.run();
      form.dispose();
    },
  };
}
