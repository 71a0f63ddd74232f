// Options of live mode (data-testid="live-options"), bound to the `live_options` trait: the
// live dream's steps per frame, step size and carry-over of the previous dream (shown in dream
// mode), and K of the top crops. Each control has data-testid="live-opt-<key>". Values are
// clamped to the ranges the kernel accepts (cnnwidget/features/live.py), so a control can
// never make the kernel refuse the dict.
import { Disposer, h, listen } from "./dom";
import type { Context, Panel } from "./types";

/** key: [min, max, step, label, shown in dream mode only]. */
const CONTROLS: Record<string, [number, number, number, string, boolean]> = {
  dream_steps: [1, 50, 1, "dream steps / frame", true],
  dream_lr: [0.005, 0.2, 0.005, "dream strength", true],
  carry: [0, 0.95, 0.05, "carry-over", true],
  top_k: [1, 64, 1, "top crops", false],
};

export function liveOptions(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const inputs: Record<string, HTMLInputElement> = {};
  const fields: Record<string, HTMLElement> = {};
  for (const [key, [min, max, step, label]] of Object.entries(CONTROLS)) {
    const whole = Number.isInteger(step);
    inputs[key] = h("input", {
      type: whole ? "number" : "range", min, max, step,
      class: whole ? "cnnx-select cnnx-num" : "cnnx-range", "data-testid": `live-opt-${key}`, "aria-label": label,
    });
    fields[key] = h("label", { class: "cnnx-opt" }, h("span", { class: "cnnx-muted" }, label), inputs[key]);
  }
  const el = h("div", { class: "cnnx-row cnnx-liveoptions", "data-testid": "live-options" }, ...Object.values(fields));

  function write(): void {
    const next: Record<string, unknown> = { ...(model.get("live_options") ?? {}) };
    for (const [key, [min, max, step]] of Object.entries(CONTROLS)) {
      const raw = Number(inputs[key].value);
      if (!Number.isFinite(raw)) continue;
      const value = Math.min(max, Math.max(min, Number.isInteger(step) ? Math.round(raw) : raw));
      next[key] = value;
      inputs[key].value = String(value);
    }
    model.set("live_options", next);
    model.save_changes();
  }

  function read(): void {
    const options = model.get("live_options") ?? {};
    for (const key of Object.keys(CONTROLS)) {
      if (typeof options[key] === "number") inputs[key].value = String(options[key]);
    }
  }

  function showForMode(): void {
    const dream = model.get("live_mode") === "dream";
    for (const [key, [, , , , dreamOnly]] of Object.entries(CONTROLS)) fields[key].hidden = dreamOnly && !dream;
  }

  for (const input of Object.values(inputs)) off.add(listen(input, "change", write));

  return {
    el,
    update(changed) {
      if (changed.has("live_options")) read();
      if (changed.has("live_mode")) showForMode();
    },
    dispose: () => off.run(),
  };
}
