// Layer picker: a real <select> (data-testid="layer-select") with one <optgroup> per stage,
// and a filter box that narrows the options as you type (Enter picks the first match).
import { Disposer, h, listen } from "./dom";
import type { Context, LayerInfo, Panel } from "./types";

export function layerPicker(ctx: Context): Panel {
  const { model } = ctx;
  const filter = h("input", {
    type: "search",
    class: "cnnx-filter",
    placeholder: "filter layers…",
    "aria-label": "Filter layers",
    "data-testid": "layer-filter",
  });
  const select = h("select", { class: "cnnx-select", "data-testid": "layer-select", "aria-label": "Layer" });
  const el = h("div", { class: "cnnx-picker" }, h("label", { class: "cnnx-label" }, "Layer"), filter, select);
  const off = new Disposer();
  let shown = "";

  function matches(info: LayerInfo, query: string): boolean {
    return !query || `${info.name} ${info.type} ${info.stage}`.toLowerCase().includes(query);
  }

  function rebuild(): void {
    const layers: LayerInfo[] = model.get("layers") ?? [];
    const current: string = model.get("layer") ?? "";
    const query = filter.value.trim().toLowerCase();
    // The current layer stays listed so the <select> always shows the truth.
    const visible = layers.filter((l) => l.name === current || matches(l, query));
    const key = JSON.stringify([visible.map((l) => l.name), current]);
    if (key === shown) return;
    shown = key;
    const groups = new Map<string, HTMLOptGroupElement>();
    for (const info of visible) {
      let group = groups.get(info.stage);
      if (!group) groups.set(info.stage, (group = h("optgroup", { label: info.stage })));
      const [c, hh, w] = info.shape;
      group.append(h("option", { value: info.name, title: info.type }, `${info.name}  ·  ${c}×${hh}×${w}`));
    }
    select.replaceChildren(...groups.values());
    select.value = current;
  }

  function choose(name: string): void {
    if (!name || name === model.get("layer")) return;
    model.set("layer", name);
    model.save_changes();
  }

  off.add(listen(select, "change", () => choose(select.value)));
  off.add(listen(filter, "input", rebuild));
  off.add(
    listen<KeyboardEvent>(filter, "keydown", (event) => {
      if (event.key !== "Enter") return;
      const query = filter.value.trim().toLowerCase();
      const first = (model.get("layers") as LayerInfo[]).find((l) => matches(l, query));
      if (first) choose(first.name);
    }),
  );

  return {
    el,
    update(changed) {
      if (changed.has("layers") || changed.has("layer")) rebuild();
    },
    dispose: () => off.run(),
  };
}
