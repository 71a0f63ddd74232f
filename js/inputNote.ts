// How pictures are fitted to the model (`input_notes` trait): resized to a transformer's fixed
// size, upsampled to the architecture's minimum, channels adapted for a grey or multi-band model.
// One notice line under the picture, data-testid="input-note" (hidden when the picture goes in
// as it is), data-count = the number of notes; the full text is its tooltip too.
import { h, setText } from "./dom";
import type { Context, Panel } from "./types";

export function inputNote(ctx: Context): Panel {
  const { model } = ctx;
  const el = h("div", { class: "cnnx-caption cnnx-input-note", "data-testid": "input-note", role: "note", hidden: true });

  function draw(): void {
    const notes = model.get("input_notes") ?? [];
    const text = notes.map((note) => `Note: ${note}.`).join(" ");
    setText(el, text);
    el.title = text;
    el.dataset.count = String(notes.length);
    el.hidden = notes.length === 0;
  }

  return {
    el,
    update(changed) {
      if (changed.has("input_notes")) draw();
    },
    dispose: () => undefined,
  };
}
