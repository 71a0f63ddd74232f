// What the network decides: the top-5 classes of the current picture (`predictions` trait:
// [index, name, probability] rows, best first). data-testid="predictions" holds one
// data-testid="prediction" row per class, with data-class (index) and data-prob (probability).
// Clicking a row sends {type: MAXIMIZE_CLASS, class} to draw the picture of that class.
import { Disposer, h, listen, setText } from "./dom";
import { MAXIMIZE_CLASS } from "./protocol";
import type { Context, Panel } from "./types";

type Row = [number, string, number];

export function predictionsPanel(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const list = h("ol", { class: "cnnx-predictions", "data-testid": "predictions" });
  const el = h("div", { class: "cnnx-col" },
    h("div", { class: "cnnx-label" }, "Predictions (click a class to see its picture)"), list);

  function draw(): void {
    const rows = (model.get("predictions") ?? []) as Row[];
    list.replaceChildren(...rows.map(([index, name, prob]) => {
      const bar = h("span", { class: "cnnx-prediction-bar" });
      bar.style.width = `${Math.max(0, Math.min(1, prob)) * 100}%`;
      const label = h("span", { class: "cnnx-prediction-name" });
      setText(label, `${name} ${(prob * 100).toFixed(1)}%`);
      return h("li", {
        class: "cnnx-prediction", "data-testid": "prediction", "data-class": index,
        "data-prob": prob.toFixed(6), title: `class ${index}: maximize it`, role: "button",
      }, bar, label);
    }));
    list.hidden = rows.length === 0;
  }

  off.add(listen<MouseEvent>(list, "click", (event) => {
    const row = (event.target as HTMLElement).closest("[data-testid=prediction]") as HTMLElement | null;
    if (row) model.send({ type: MAXIMIZE_CLASS, class: Number(row.dataset.class) });
  }));

  return {
    el,
    update(changed) {
      if (changed.has("predictions")) draw();
    },
    dispose: () => off.run(),
  };
}
