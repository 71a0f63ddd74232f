// The input picture (data-testid="input-image") with a sample picker, an upload button and
// drag-and-drop onto the picture. Files go to the kernel as an `upload` message with the
// bytes in a binary buffer.
import { Disposer, h, listen, setOptions } from "./dom";
import { MAX_UPLOAD_BYTES, SAMPLE, UPLOAD } from "./protocol";
import type { Context, Panel } from "./types";

export function inputPanel(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const img = h("img", { class: "cnnx-photo", "data-testid": "input-image", alt: "input image" });
  const hint = h("div", { class: "cnnx-drophint" }, "drop an image here");
  const drop = h("div", { class: "cnnx-drop", "data-testid": "drop-zone" }, img, hint);
  const name = h("div", { class: "cnnx-caption", "data-testid": "image-name" });
  const samples = h("select", { class: "cnnx-select", "data-testid": "sample-select", "aria-label": "Sample photo" });
  const file = h("input", { type: "file", accept: "image/*", class: "cnnx-file", "data-testid": "upload-input" });
  const upload = h("label", { class: "cnnx-button", title: "Upload an image (or drop one on the picture)" },
    file, "Upload…");
  const el = h("div", { class: "cnnx-input" }, name, drop, h("div", { class: "cnnx-row" }, samples, upload));
  let url = "";

  async function send(f: File | undefined): Promise<void> {
    if (!f) return;
    if (f.size > MAX_UPLOAD_BYTES) {
      ctx.reportError(`${f.name} is ${(f.size / 1e6).toFixed(1)} MB; uploads are limited to 20 MB, so resize it first`);
      return;
    }
    try {
      const bytes = await f.arrayBuffer();
      el.setAttribute("data-busy", "");
      model.send({ type: UPLOAD, name: f.name }, undefined, [bytes]);
    } catch (err) {
      ctx.reportError(`could not read ${f.name}: ${err}`);
    }
  }

  off.add(listen(file, "change", () => {
    void send(file.files?.[0]);
    file.value = ""; // choosing the same file again still fires `change`
  }));
  off.add(listen<DragEvent>(drop, "dragover", (event) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
    drop.classList.add("cnnx-dragging");
  }));
  off.add(listen(drop, "dragleave", () => drop.classList.remove("cnnx-dragging")));
  off.add(listen<DragEvent>(drop, "drop", (event) => {
    event.preventDefault();
    drop.classList.remove("cnnx-dragging");
    void send(event.dataTransfer?.files?.[0]);
  }));
  off.add(listen(samples, "change", () => {
    if (!samples.value) return;
    el.setAttribute("data-busy", "");
    model.send({ type: SAMPLE, name: samples.value });
    samples.value = "";
  }));

  return {
    el,
    update(changed) {
      if (changed.has("image") && ctx.imageUrl() !== url) img.src = url = ctx.imageUrl();
      // Any answer ends the wait: a new picture, a new grid (even for identical bytes), an error.
      if (["image", "grid_meta", "error"].some((t) => changed.has(t))) el.removeAttribute("data-busy");
      if (changed.has("image_name")) name.textContent = model.get("image_name") || "input image";
      if (changed.has("samples")) {
        const names: string[] = model.get("samples") ?? [];
        setOptions(samples, ["", ...names], { "": "sample photo…" });
        samples.hidden = names.length === 0;
      }
    },
    dispose: () => off.run(),
  };
}
