// Click-to-maximize (data-testid="maximize-image"): the picture the selected unit responds to
// most, streamed while the kernel optimizes it (`maximize_progress` messages, PNG bytes in
// buffers[0]) and then final (`maximized_image` + `maximize_state`, so a reloaded view shows
// it). The <img> carries data-status (idle | running | done | cancelled | error), data-step,
// data-job and data-unit of the picture shown. Beside it: step and objective value, the
// objective curve, Maximize (again), Cancel and Download PNG.
import { Disposer, fmt, h, listen } from "./dom";
import { DownloadLink, FINAL_STATUSES, JobFilter, PngView, type JobState } from "./picture";
import { CANCEL, MAXIMIZE, MAXIMIZE_PROGRESS } from "./protocol";
import type { Context, Panel } from "./types";

/** The `maximize_state` trait (docs/protocol.md). */
interface MaximizeState extends JobState {
  unit?: [string, number];
  step?: number;
  steps?: number;
  value?: number;
  curve?: number[];
}

/** A `maximize_progress` message. */
interface Progress {
  type: string;
  job: number;
  unit: [string, number];
  step: number;
  steps: number;
  /** null for the starting picture (step 0). */
  value: number | null;
}

const CURVE_W = 320, CURVE_H = 56;

export function maximizePanel(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const img = h("img", {
    class: "cnnx-photo cnnx-maximized", alt: "picture maximizing the selected unit",
    "data-testid": "maximize-image", "data-status": "idle", "data-step": 0, "data-job": 0,
  });
  const caption = h("div", { class: "cnnx-caption", "data-testid": "maximize-caption" });
  const curve = h("canvas", {
    class: "cnnx-curve", width: CURVE_W, height: CURVE_H, "data-testid": "maximize-curve",
    "aria-label": "objective per step",
  });
  const start = h("button", {
    type: "button", class: "cnnx-button", "data-testid": "maximize-start",
    title: "Maximize the selected unit again with the options below",
  }, "Maximize");
  const cancel = h("button", { type: "button", class: "cnnx-button", "data-testid": "cancel", disabled: true }, "Cancel");
  const download = new DownloadLink("maximize-download");
  const el = h("div", { class: "cnnx-maximize", "data-testid": "maximize-panel" },
    h("div", { class: "cnnx-label" }, "What the unit wants to see"),
    h("div", { class: "cnnx-frame cnnx-maxframe" }, img), caption, curve,
    h("div", { class: "cnnx-row" }, start, cancel, download.el));
  const view = new PngView(img);
  const jobs = new JobFilter();
  let job = -1; // the job whose picture (or start) is shown
  let points: [number, number][] = []; // (step, objective) seen for that job
  let steps = 0;

  function show(status: string, step: number, unit: [string, number] | undefined, value?: number): void {
    img.dataset.step = String(step);
    img.dataset.job = String(Math.max(job, 0));
    if (unit) img.dataset.unit = `${unit[0]}:${unit[1]}`;
    img.dataset.status = status;
    cancel.disabled = status !== "running";
    download.el.hidden = !FINAL_STATUSES.has(status) || !download.el.href; // not the previous unit's picture
    const name = unit ? `${unit[0]} #${unit[1]}` : "";
    const progress = steps ? `step ${step}/${steps}` : "";
    const objective = value === undefined ? "" : `objective ${fmt(value)}`;
    const parts = {
      idle: ["Click a unit: the picture it responds to most appears here"],
      running: [name, progress, objective, img.hasAttribute("data-stale") ? "starting…" : ""],
      done: [name, progress, objective],
      cancelled: [name, `cancelled at ${progress}`, objective],
      error: [name, "failed: see the message above"],
    }[status] ?? [status];
    caption.textContent = parts.filter(Boolean).join(" · ");
    drawCurve();
  }

  function drawCurve(): void {
    const g = curve.getContext("2d");
    if (!g) return;
    g.clearRect(0, 0, CURVE_W, CURVE_H);
    curve.hidden = points.length < 2;
    if (points.length < 2) return;
    const values = points.map((p) => p[1]);
    const lo = Math.min(...values), hi = Math.max(...values), span = hi - lo || 1;
    const last = Math.max(steps, points[points.length - 1][0], 2);
    const css = getComputedStyle(el);
    g.strokeStyle = css.getPropertyValue("--cnnx-border").trim() || "#c4c4c4";
    g.strokeRect(0.5, 0.5, CURVE_W - 1, CURVE_H - 1);
    g.strokeStyle = css.getPropertyValue("--cnnx-accent").trim() || "#1976d2";
    g.lineWidth = 2;
    g.beginPath();
    points.forEach(([step, value], i) => {
      const x = 3 + ((step - 1) / (last - 1)) * (CURVE_W - 6);
      const y = CURVE_H - 3 - ((value - lo) / span) * (CURVE_H - 6);
      if (i) g.lineTo(x, y);
      else g.moveTo(x, y);
    });
    g.stroke();
  }

  function onState(): void {
    const state: MaximizeState = model.get("maximize_state") ?? {};
    jobs.state(state);
    const status = state.status ?? "idle";
    steps = state.steps ?? 0;
    if (FINAL_STATUSES.has(status)) {
      job = state.job ?? 0;
      img.removeAttribute("data-stale");
      view.show(model.get("maximized_image"));
      const curveValues = state.curve ?? [];
      const first = (state.step ?? curveValues.length) - curveValues.length + 1;
      points = curveValues.map((v, i) => [first + i, v]);
      const unit = state.unit;
      download.set(model.get("maximized_image"), unit ? `maximize-${unit[0]}-${unit[1]}.png` : "maximize.png");
      show(status, state.step ?? 0, unit, state.value);
    } else if (status === "running" && state.job !== job) {
      // A new job: keep the previous picture, dimmed, until its first streamed one arrives.
      job = state.job ?? 0;
      points = [];
      img.toggleAttribute("data-stale", true);
      show("running", 0, state.unit);
    } else if (status === "idle") {
      show("idle", 0, undefined);
    }
  }

  function onMessage(msg: Progress, buffers?: unknown[]): void {
    if (msg?.type !== MAXIMIZE_PROGRESS || !buffers?.length || !jobs.accept(msg.job)) return;
    if (msg.job !== job) points = [];
    job = msg.job;
    steps = msg.steps;
    img.removeAttribute("data-stale");
    view.show(buffers[0]);
    if (typeof msg.value === "number") points.push([msg.step, msg.value]);
    show("running", msg.step, msg.unit, msg.value ?? undefined);
  }

  model.on("msg:custom", onMessage);
  off.add(() => model.off("msg:custom", onMessage));
  off.add(listen(cancel, "click", () => model.send({ type: CANCEL, job: "maximize" })));
  off.add(listen(start, "click", () => {
    const sel = model.get("selected") as [string, number] | [];
    if (sel.length === 2) model.send({ type: MAXIMIZE, layer: sel[0], channel: sel[1] });
  }));
  off.add(() => view.dispose());
  off.add(() => download.dispose());

  return {
    el,
    update(changed) {
      if (changed.has("maximize_state") || changed.has("maximized_image")) onState();
      if (changed.has("selected")) start.disabled = (model.get("selected") ?? []).length !== 2;
    },
    dispose: () => off.run(),
  };
}
