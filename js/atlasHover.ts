// Atlas preview (data-testid="atlas-preview"): hovering a unit of the activation grid that the
// atlas covers (trait `atlas_units`) shows its precomputed picture in a small popover beside
// the unit. The picture is asked for once with an `atlas_image` message and kept as a Blob URL.
// Clicking shows it as the finished maximization: that is the kernel's doing (docs/protocol.md).
import { Disposer, fmt, h, listen } from "./dom";
import { pngUrl } from "./picture";
import { ATLAS_IMAGE } from "./protocol";
import type { Context, Panel } from "./types";

/** Pictures kept in the browser; the oldest Blob URL is revoked beyond this. */
const KEEP = 256;
const SIDE = 128;

interface Cached {
  url: string;
  value?: number;
  found: boolean;
}

export function atlasHover(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const img = h("img", { "data-testid": "atlas-preview-image", alt: "atlas picture", width: SIDE, height: SIDE });
  const caption = h("div", { class: "cnnx-caption", "data-testid": "atlas-preview-caption" });
  const pop = h("div", {
    "data-testid": "atlas-preview", role: "tooltip", hidden: true,
    style: "position:fixed;z-index:1000;pointer-events:none;background:var(--cnnx-bg,#fff);color:var(--cnnx-fg,#000);border:1px solid var(--cnnx-border,#bbb);" +
      "border-radius:4px;padding:4px;box-shadow:0 2px 8px rgba(0,0,0,.2)",
  }, img, caption);
  const el = h("div", { class: "cnnx-atlas-hover" }, pop);
  const cache = new Map<string, Cached>();
  let current = ""; // "layer|channel" under the pointer, "" for none

  const keyOf = (layer: string, channel: number) => `${layer}|${channel}`;

  function covered(layer: string, channel: number): boolean {
    const units = (model.get("atlas_units") ?? {}) as Record<string, number[]>;
    return (units[layer] ?? []).includes(channel);
  }

  function hide(): void {
    current = "";
    pop.hidden = true;
  }

  function show(key: string, entry: Cached | undefined, layer: string, channel: number): void {
    pop.dataset.layer = layer;
    pop.dataset.channel = String(channel);
    pop.dataset.status = entry === undefined ? "loading" : entry.found ? "shown" : "missing";
    if (entry?.found) img.src = entry.url;
    else img.removeAttribute("src");
    img.hidden = !entry?.found;
    caption.textContent = `${layer} #${channel}` + (entry === undefined ? " · loading…" : entry.found
      ? (entry.value !== undefined ? ` · ${fmt(entry.value)}` : "") : " · not in the atlas");
    current = key;
    pop.hidden = false;
  }

  function place(unit: Element): void {
    const box = unit.getBoundingClientRect();
    const w = SIDE + 10, hgt = SIDE + 30;
    const left = box.right + 8 + w > window.innerWidth ? Math.max(0, box.left - 8 - w) : box.right + 8;
    pop.style.left = `${left}px`;
    pop.style.top = `${Math.max(0, Math.min(box.top, window.innerHeight - hgt))}px`;
  }

  function ourUnit(target: EventTarget | null): HTMLElement | null {
    const unit = (target as Element | null)?.closest?.("[data-testid=unit]") as HTMLElement | null;
    const grid = unit?.closest("[data-testid=activation-grid]");
    const root = el.closest("[data-testid=cnn-explorer]");
    return unit && grid && root && root.contains(grid) ? unit : null;
  }

  off.add(listen(document, "pointerover", (event) => {
    const unit = ourUnit(event.target);
    const layer = unit?.dataset.layer, channel = Number(unit?.dataset.channel);
    if (!unit || !layer || !Number.isInteger(channel) || !covered(layer, channel)) {
      if (current) hide();
      return;
    }
    const key = keyOf(layer, channel);
    if (key === current) return;
    place(unit);
    const entry = cache.get(key);
    show(key, entry, layer, channel);
    if (entry === undefined) model.send({ type: ATLAS_IMAGE, layer, channel });
  }));
  off.add(listen(document, "scroll", hide, { capture: true, passive: true }));

  function onMessage(msg: { type?: string; layer?: string; channel?: number; found?: boolean; value?: number },
    buffers?: DataView[]): void {
    if (msg?.type !== ATLAS_IMAGE || typeof msg.layer !== "string" || typeof msg.channel !== "number") return;
    const key = keyOf(msg.layer, msg.channel);
    const found = !!msg.found && !!buffers?.length;
    const entry: Cached = { url: found ? pngUrl(buffers![0]) : "", value: msg.value, found };
    const old = cache.get(key);
    if (old?.url) URL.revokeObjectURL(old.url);
    cache.set(key, entry);
    if (cache.size > KEEP) {
      const [oldest, gone] = cache.entries().next().value as [string, Cached];
      if (gone.url) URL.revokeObjectURL(gone.url);
      cache.delete(oldest);
    }
    if (key === current) show(key, entry, msg.layer, msg.channel);
  }
  model.on("msg:custom", onMessage);
  off.add(() => model.off("msg:custom", onMessage));
  off.add(() => {
    for (const entry of cache.values()) if (entry.url) URL.revokeObjectURL(entry.url);
    cache.clear();
  });

  return {
    el,
    update(changed) {
      if (changed.has("atlas_units") && current) {
        const [layer, channel] = [pop.dataset.layer ?? "", Number(pop.dataset.channel)];
        if (!covered(layer, channel)) hide();
      }
    },
    dispose: () => off.run(),
  };
}
