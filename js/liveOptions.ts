// Options of live mode (data-testid="live-options"), bound to the `live_options` trait: the
// live dream's steps per frame, step size and carry-over of the previous dream (shown in dream
// mode), and K of the top crops. Each control has data-testid="live-opt-<key>". The controls,
// their ranges and when they show come from the kernel's declarations (optionForm.ts).
import { h } from "./dom";
import { OptionForm } from "./optionForm";
import type { Context, Panel } from "./types";

export function liveOptions(ctx: Context): Panel {
  const { model } = ctx;
  const el = h("div", { class: "cnnx-row cnnx-liveoptions", "data-testid": "live-options" });
  const form = new OptionForm(model, "live", { testid: (key) => `live-opt-${key}`, floats: "range" }, () => form.save());

  return {
    el,
    update(changed) {
      if (changed.has("option_specs") && form.build()) {
        el.replaceChildren(...Object.values(form.fields));
        form.showForTraits();
      }
      if (changed.has("live_options")) form.read();
      if (changed.has("live_mode")) form.showForTraits();
    },
    dispose: () => form.dispose(),
  };
}
