// DeepDream of the input picture (data-testid="dream-image", with data-status idle | running |
// done | cancelled | error, data-octave and data-job): layers (several may be chosen; none =
// the current layer), octaves, steps and strength bound to `dream_options`; Dream
// (data-testid="dream-start") sends `dream`, Stop sends `cancel`. Each octave streams in as a
// `dream_progress` message; the result (`dream_image`) can be saved with "Download PNG",
// a Blob URL made in the browser.
import { Disposer, h, listen, setOptions } from "./dom";
import { DownloadLink, FINAL_STATUSES, JobFilter, PngView, type JobState } from "./picture";
import { OptionForm } from "./optionForm";
import { CANCEL, DREAM, DREAM_PROGRESS } from "./protocol";
import type { Context, LayerInfo, Panel } from "./types";

interface DreamState extends JobState {
  octave?: number;
  octaves?: number;
  layers?: string[];
}

interface DreamProgress {
  type: string;
  job: number;
  octave: number;
  octaves: number;
}

export function dreamPanel(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const layers = h("select", {
    class: "cnnx-select cnnx-dreamlayers", multiple: true, size: 4,
    "data-testid": "dream-layers", "aria-label": "Layers to dream with",
  });
  const form = new OptionForm(model, "dream", { testid: (key) => `dream-${key}`, floats: "number" }, write);
  const fields = h("div", { class: "cnnx-col" });
  const start = h("button", { type: "button", class: "cnnx-button", "data-testid": "dream-start" }, "Dream");
  const stop = h("button", { type: "button", class: "cnnx-button", "data-testid": "dream-cancel", disabled: true }, "Stop");
  const download = new DownloadLink("dream-download");
  const img = h("img", {
    class: "cnnx-photo cnnx-dreamed", alt: "DeepDream of the input picture",
    "data-testid": "dream-image", "data-status": "idle", "data-octave": 0, "data-job": 0,
  });
  const caption = h("div", { class: "cnnx-caption", "data-testid": "dream-caption" });
  const el = h("div", { class: "cnnx-dream", "data-testid": "dream-panel" },
    h("div", { class: "cnnx-label" }, "DeepDream of the input picture"),
    h("div", { class: "cnnx-row cnnx-dreamopts" },
      h("label", { class: "cnnx-opt" }, h("span", { class: "cnnx-muted" }, "layers (none: the current one)"), layers),
      fields),
    h("div", { class: "cnnx-row" }, start, stop, download.el),
    caption,
    h("div", { class: "cnnx-frame cnnx-dreamframe" }, img));
  const view = new PngView(img);
  const jobs = new JobFilter();
  let job = -1;

  function show(status: string, octave: number, octaves: number): void {
    img.dataset.octave = String(octave);
    img.dataset.job = String(Math.max(job, 0));
    img.dataset.status = status;
    stop.disabled = status !== "running";
    download.el.hidden = !FINAL_STATUSES.has(status) || !download.el.href;
    const progress = octaves ? `octave ${octave}/${octaves}` : "";
    caption.textContent = {
      idle: "Dream starts from the input picture",
      running: `dreaming… ${progress}`,
      done: `done · ${progress}`,
      cancelled: `stopped at ${progress}`,
      error: "failed: see the message above",
    }[status] ?? status;
  }

  function onState(): void {
    const state: DreamState = model.get("dream_state") ?? {};
    jobs.state(state);
    const status = state.status ?? "idle";
    if (FINAL_STATUSES.has(status)) {
      job = state.job ?? 0;
      img.removeAttribute("data-stale");
      view.show(model.get("dream_image"));
      download.set(model.get("dream_image"), `dream-${(state.layers ?? []).join("+") || "dream"}.png`);
      show(status, state.octave ?? 0, state.octaves ?? 0);
    } else if (status === "running" && state.job !== job) {
      job = state.job ?? 0;
      img.toggleAttribute("data-stale", true); // the input picture, dimmed, until the first octave
      view.showUrl(ctx.imageUrl());
      show("running", 0, state.octaves ?? 0);
    } else if (status === "idle") {
      show("idle", 0, 0);
    }
  }

  function onMessage(msg: DreamProgress, buffers?: unknown[]): void {
    if (msg?.type !== DREAM_PROGRESS || !buffers?.length || !jobs.accept(msg.job)) return;
    job = msg.job;
    img.removeAttribute("data-stale");
    view.show(buffers[0]);
    show("running", msg.octave, msg.octaves);
  }

  function write(): void {
    form.save({ ...form.values(), layers: Array.from(layers.selectedOptions, (o) => o.value) });
  }

  function read(): void {
    const chosen = new Set<string>(model.get("dream_options")?.layers ?? []);
    for (const option of Array.from(layers.options)) option.selected = chosen.has(option.value);
    form.read();
  }

  model.on("msg:custom", onMessage);
  off.add(() => model.off("msg:custom", onMessage));
  off.add(listen(layers, "change", write));
  off.add(listen(start, "click", () => model.send({ type: DREAM })));
  off.add(listen(stop, "click", () => model.send({ type: CANCEL, job: "dream" })));
  off.add(() => view.dispose());
  off.add(() => download.dispose());
  off.add(() => form.dispose());

  return {
    el,
    update(changed) {
      if (changed.has("option_specs") && form.build()) fields.replaceChildren(...Object.values(form.fields));
      if (changed.has("layers")) {
        setOptions(layers, ((model.get("layers") ?? []) as LayerInfo[]).map((l) => l.name));
        read();
      }
      if (changed.has("dream_options")) read();
      if (changed.has("dream_state") || changed.has("dream_image")) onState();
    },
    dispose: () => off.run(),
  };
}
