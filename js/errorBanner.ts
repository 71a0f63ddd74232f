// The error banner (data-testid="error"): visible while the `error` trait (or a front-end
// error) is non-empty; the dismiss button clears it.
import { Disposer, h, listen } from "./dom";
import type { Context, Panel } from "./types";

export interface ErrorBanner extends Panel {
  /** Show a front-end error; it is replaced by the next kernel error and cleared on dismiss. */
  show(message: string): void;
}

export function errorBanner(ctx: Context): ErrorBanner {
  const { model } = ctx;
  const off = new Disposer();
  const text = h("span", { class: "cnnx-errortext", "data-testid": "error-text" });
  const close = h("button", { class: "cnnx-dismiss", type: "button", "aria-label": "Dismiss error", title: "Dismiss" }, "×");
  const el = h("div", { class: "cnnx-error", "data-testid": "error", role: "alert", hidden: true }, text, close);
  let local = "";

  function render(): void {
    const message = model.get("error") || local;
    text.textContent = message;
    el.hidden = !message;
  }

  off.add(listen(close, "click", () => {
    local = "";
    if (model.get("error")) {
      model.set("error", "");
      model.save_changes();
    }
    render();
  }));

  return {
    el,
    show(message) {
      local = message;
      render();
    },
    update(changed) {
      if (changed.has("error")) {
        local = "";
        render();
      }
    },
    dispose: () => off.run(),
  };
}
