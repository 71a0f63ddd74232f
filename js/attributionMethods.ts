// The attribution overlay's method and target pickers.
// data-testid="attribution-method": a <select> bound to `attribution_method`, listing
// `attribution_methods`; a method failing the model-randomization sanity check is marked
// (option data-sane="false", "fails the sanity check" in its label).
// data-testid="attribution-target": "the selected unit" or one of the current top-5 classes,
// bound to `attribution_class` (-1 = the unit).
// data-testid="attribution-progress": status of a long method (data-status, data-done, data-total);
// data-testid="attribution-cancel" stops it (enabled while it runs; sends {type: CANCEL, job: "attribution"}).
import { Disposer, h, listen, setText } from "./dom";
import { CANCEL } from "./protocol";
import type { Context, Panel } from "./types";

interface Method { name: string; label: string; sane: boolean }
interface State { status?: string; method?: string; done?: number; total?: number }

export function attributionMethods(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const method = h("select", { "data-testid": "attribution-method", title: "attribution method" });
  const target = h("select", { "data-testid": "attribution-target", title: "what to explain" });
  const status = h("span", { class: "cnnx-caption", "data-testid": "attribution-progress" });
  const stop = h("button", { type: "button", class: "cnnx-button", "data-testid": "attribution-cancel", disabled: true }, "Stop");
  const el = h("div", { class: "cnnx-row cnnx-attribution-methods" }, method, target, status, stop);

  function fillMethods(): void {
    const methods = (model.get("attribution_methods") ?? []) as Method[];
    method.replaceChildren(...methods.map((m) => h("option", {
      value: m.name, "data-sane": String(m.sane),
    }, m.sane ? m.label : `${m.label} (fails the sanity check)`)));
    method.value = model.get("attribution_method");
  }

  function fillTargets(): void {
    const rows = (model.get("predictions") ?? []) as [number, string, number][];
    const chosen = Number(model.get("attribution_class") ?? -1);
    const options = [h("option", { value: "-1" }, "the selected unit")];
    for (const [index, name] of rows) options.push(h("option", { value: String(index) }, `class ${name}`));
    if (chosen >= 0 && !rows.some(([index]) => index === chosen)) {
      options.push(h("option", { value: String(chosen) }, `class ${chosen}`));
    }
    target.replaceChildren(...options);
    target.value = String(chosen);
  }

  function showState(): void {
    const state = (model.get("attribution_state") ?? {}) as State;
    status.dataset.status = state.status ?? "idle";
    status.dataset.done = String(state.done ?? 0);
    status.dataset.total = String(state.total ?? 0);
    const passes = `${state.done ?? 0}/${state.total ?? 0} passes`;
    setText(status, state.status === "running" ? (state.total ? passes : "starting…")
      : state.status === "cancelled" ? `stopped at ${passes}` : "");
    stop.disabled = state.status !== "running";
  }

  off.add(listen(method, "change", () => {
    model.set("attribution_method", method.value);
    model.save_changes();
  }));
  off.add(listen(stop, "click", () => model.send({ type: CANCEL, job: "attribution" })));
  off.add(listen(target, "change", () => {
    model.set("attribution_class", Number(target.value));
    model.save_changes();
  }));

  return {
    el,
    update(changed) {
      if (changed.has("attribution_methods") || changed.has("attribution_method")) fillMethods();
      if (changed.has("predictions") || changed.has("attribution_class")) fillTargets();
      if (changed.has("attribution_state")) showState();
    },
    dispose: () => off.run(),
  };
}
