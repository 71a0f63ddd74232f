// "Make it say X": pick a class (data-testid="adversarial-class", from `classes`), a budget in
// grey levels (data-testid="adversarial-eps") and the steps at most (data-testid="adversarial-max-steps");
// the two number controls, their ranges and defaults come from the kernel's declaration
// (ADVERSARIAL_OPTIONS, via `option_specs`, drawn by optionForm.ts, bound to `adversarial_options`).
// Start (data-testid="adversarial-start") sends {type: ADVERSARIAL, class, eps, steps}; Stop
// (data-testid="adversarial-cancel", enabled while it runs) sends {type: CANCEL, job: "adversarial"}. The result (`adversarial_state`, `adversarial_image`,
// `adversarial_perturbation`): the perturbed picture (data-testid="adversarial-image"), the
// perturbation amplified with its scale stated (data-testid="adversarial-perturbation",
// data-gain), the steps (data-testid="adversarial-steps": data-status, data-steps, data-reached)
// and the new top-5 (data-testid="adversarial-prediction" rows with data-class, data-prob).
import { Disposer, h, listen, setText } from "./dom";
import { OptionForm } from "./optionForm";
import { ADVERSARIAL, CANCEL, asBytes } from "./protocol";
import type { Context, Panel } from "./types";

interface State {
  status?: string; target?: number; eps?: number; step?: number; steps?: number;
  reached?: boolean; gain?: number; max_change?: number; predictions?: [number, string, number][];
}

export function adversarialPanel(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const target = h("select", { "data-testid": "adversarial-class", title: "the class to make the model say" });
  const testids: Record<string, string> = { eps: "adversarial-eps", steps: "adversarial-max-steps" };
  const form = new OptionForm(model, "adversarial", { testid: (key) => testids[key] ?? `adversarial-${key}`, floats: "number" },
    () => form.save());
  const fields = h("span", { class: "cnnx-row" });
  const start = h("button", { type: "button", "data-testid": "adversarial-start" }, "Make it say this");
  const stop = h("button", { type: "button", "data-testid": "adversarial-cancel", disabled: true }, "Stop");
  const image = h("img", { class: "cnnx-photo", alt: "adversarial picture", "data-testid": "adversarial-image" });
  const delta = h("img", { class: "cnnx-photo", alt: "perturbation", "data-testid": "adversarial-perturbation" });
  const steps = h("div", { class: "cnnx-caption", "data-testid": "adversarial-steps" });
  const rows = h("ol", { class: "cnnx-predictions" });
  const result = h("div", { class: "cnnx-col", hidden: true },
    h("div", { class: "cnnx-row" }, image, delta), steps, rows);
  const el = h("details", { class: "cnnx-col cnnx-adversarial" },
    h("summary", { class: "cnnx-label" }, "Make it say…"),
    h("div", { class: "cnnx-row" }, target, fields, start, stop), result);
  const urls: string[] = ["", ""];

  function picture(img: HTMLImageElement, trait: "adversarial_image" | "adversarial_perturbation", slot: number): void {
    if (urls[slot]) URL.revokeObjectURL(urls[slot]);
    const bytes = asBytes(model.get(trait));
    urls[slot] = bytes.byteLength ? URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "image/png" })) : "";
    img.src = urls[slot];
  }

  function fillClasses(): void {
    const names = (model.get("classes") ?? []) as string[];
    const keep = target.value;
    target.replaceChildren(...names.map((name, i) => h("option", { value: String(i) }, `${i}: ${name}`)));
    if (keep) target.value = keep;
    el.hidden = names.length === 0;
  }

  function showState(): void {
    const state = (model.get("adversarial_state") ?? {}) as State;
    steps.dataset.status = state.status ?? "idle";
    steps.dataset.steps = String(state.step ?? 0);
    steps.dataset.reached = String(!!state.reached);
    start.disabled = state.status === "running";
    stop.disabled = state.status !== "running";
    result.hidden = !state.status || state.status === "idle";
    const names = (model.get("classes") ?? []) as string[];
    const goal = state.target !== undefined ? names[state.target] ?? String(state.target) : "";
    if (state.status === "running") setText(steps, `pushing towards ${goal}: step ${state.step ?? 0}/${state.steps ?? 0}`);
    else if (state.status === "done") {
      setText(steps, `${state.reached ? "reached" : "not reached"} ${goal} in ${state.step} steps within ${state.eps}/255; `
        + `perturbation shown ×${(state.gain ?? 1).toFixed(1)} around grey (largest change ${(state.max_change ?? 0).toFixed(1)}/255)`);
    } else if (state.status === "cancelled") setText(steps, `stopped at step ${state.step ?? 0}/${state.steps ?? 0} towards ${goal}`);
    else setText(steps, state.status ?? "");
    delta.dataset.gain = String(state.gain ?? "");
    rows.replaceChildren(...(state.predictions ?? []).map(([index, name, prob]) => h("li", {
      class: "cnnx-prediction", "data-testid": "adversarial-prediction", "data-class": index, "data-prob": prob.toFixed(6),
    }, `${name} ${(prob * 100).toFixed(1)}%`)));
  }

  off.add(listen(start, "click", () => {
    const { eps, steps: most } = form.values();
    model.send({ type: ADVERSARIAL, class: Number(target.value), eps, steps: most });
  }));
  off.add(listen(stop, "click", () => model.send({ type: CANCEL, job: "adversarial" })));
  off.add(() => form.dispose());
  off.add(() => urls.forEach((u) => u && URL.revokeObjectURL(u)));

  return {
    el,
    update(changed) {
      if (changed.has("classes")) fillClasses();
      if (changed.has("option_specs") && form.build()) fields.replaceChildren(...Object.values(form.fields));
      if (changed.has("adversarial_options")) form.read();
      if (changed.has("adversarial_state")) showState();
      if (changed.has("adversarial_image")) picture(image, "adversarial_image", 0);
      if (changed.has("adversarial_perturbation")) picture(delta, "adversarial_perturbation", 1);
    },
    dispose: () => off.run(),
  };
}
