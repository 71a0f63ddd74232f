// Live webcam (data-testid="live-panel"): Start/Stop the camera, choose live maps or live
// DeepDream (`live_mode`), freeze a frame as the input image, and see the result on the video
// (data-testid="live-view"): the selected unit's map laid over it, or the dreamed frame. Camera
// frames are taken from the track as they are captured where the browser can (TrackFrames,
// data-grab="track"; live_options capture="video" or another browser: from the playing video,
// data-grab="video"). Each frame's centre square, at the model's input size, goes to the kernel as a `frame` message
// with RGBA bytes; a few frames may be in flight (framePump.ts: a window that adapts to the
// measured round trip, answers drawn in order, stale ones dropped). In maps mode the activation
// grid is redrawn from each answer (ctx.showLiveGrid) without touching the `grid` trait.
// Frames pushed from Python (`ex.feed`, answers with `frame_included`) are shown the same way,
// with the frame itself in place of the video, while the camera is not streaming.
// Also: the HUD (liveHud.ts), the live options (liveOptions.ts) and the strip of the selected unit's top-activating crops.
import { lut } from "./colormap";
import { Disposer, fmt, h, listen, setOptions } from "./dom";
import { FramePump, type Answer, type Flight } from "./framePump";
import { LiveMeter, liveHud, type LatencyParts } from "./liveHud";
import { liveOptions } from "./liveOptions";
import { paintTile } from "./paint";
import { asBytes, decodeGrid, FRAME, FREEZE, LIVE_RESULT, LIVE_STOP, MAX_FRAME_SIDE, MIN_FRAME_SIDE, type Grid } from "./protocol";
import type { Context, Panel } from "./types";
import { CameraError, FrameGrabber, hasTrackFrames, openCamera, stopStream, TrackFrames } from "./webcam";

/** Give up on a frame's answer after this long and send the next one. */
const ANSWER_TIMEOUT_MS = 3000;
/** Most frames in flight (a remote kernel needs more than one to beat one frame per round trip). */
const MAX_IN_FLIGHT = 4;
/** The window of frames in flight shrinks whenever a round trip takes longer than this. */
const LATENCY_CAP_MS = 400;
/** No answer at all for this long while streaming: the kernel is gone or stuck; stop the camera. */
const KERNEL_SILENT_MS = 30_000;
/** JPEG quality of frames sent as JPEG (live_options frame_format "jpeg"). */
const JPEG_QUALITY = 0.9;
/** Without a new camera frame for this long, send the current picture anyway. */
const FRAME_WAIT_MS = 150;
const OVERLAY_SIDE = 320;

/** A `live_result` waiting in the pump to be drawn. */
interface LiveAnswer {
  content: any;
  payload: Uint8Array;
}

type State = "off" | "starting" | "live" | "paused" | "ended" | "error";

export function livePanel(ctx: Context): Panel {
  const { model } = ctx;
  const off = new Disposer();
  const start = h("button", { class: "cnnx-button", type: "button", "data-testid": "webcam-start" }, "Start camera");
  const stop = h("button", { class: "cnnx-button", type: "button", "data-testid": "webcam-stop", disabled: true }, "Stop");
  const mode = h("select", { class: "cnnx-select", "data-testid": "live-mode", "aria-label": "Live mode" });
  setOptions(mode, ["maps", "dream"], { maps: "live maps", dream: "live DeepDream" });
  const freeze = h("button", {
    class: "cnnx-button", type: "button", "data-testid": "freeze", disabled: true,
    title: "Make the current frame the input image (then click a unit to maximize it)",
  }, "Freeze");
  const video = h("video", { class: "cnnx-video", muted: true, playsinline: true, autoplay: true });
  video.muted = true; // the attribute alone does not mute in every browser
  const overlay = h("canvas", { class: "cnnx-liveoverlay", width: OVERLAY_SIDE, height: OVERLAY_SIDE });
  const dream = h("canvas", { class: "cnnx-livedream", "data-testid": "live-dream" });
  const fed = h("img", { class: "cnnx-livefed", "data-testid": "live-fed", alt: "frame fed from Python" });
  const hint = h("div", { class: "cnnx-livehint" }, "Press Start camera to see the network live");
  const hud = liveHud();
  const view = h("div", {
    class: "cnnx-liveview", "data-testid": "live-view", "data-camera": "off", "data-mode": "maps", "data-source": "none",
  }, video, fed, overlay, dream, hint, hud.el);
  const cropsCaption = h("div", { class: "cnnx-caption" });
  const cropsImg = h("img", { class: "cnnx-crops", "data-testid": "top-crops", alt: "top-activating crops" });
  const cropsValues = h("div", { class: "cnnx-cropvalues" });
  const crops = h("div", { class: "cnnx-cropbox", hidden: true }, cropsCaption, cropsImg, cropsValues);
  const options = liveOptions(ctx);
  const el = h("div", { class: "cnnx-live", "data-testid": "live-panel", "data-state": "off" },
    h("div", { class: "cnnx-row" }, start, stop, mode, freeze), options.el, view, crops);

  const pump = new FramePump<LiveAnswer>({ maxWindow: MAX_IN_FLIGHT, timeoutMs: ANSWER_TIMEOUT_MS, latencyCapMs: LATENCY_CAP_MS });
  const meter = new LiveMeter();
  const small = document.createElement("canvas");
  let state: State = "off";
  let stream: MediaStream | null = null;
  let grabber: FrameGrabber | null = null;
  let frames: TrackFrames | null = null; // camera frames straight from the track, when the browser can
  let latestFrame = 0, latestAt = 0, sentFrame = -1;
  let encoding = false; // a frame is being encoded as JPEG: the next waits for it
  let lastLatency: number | undefined;
  let lastGrid: Grid | null = null;
  let waitTimer = 0;
  let cropsUrl = "";
  let fedUrl = "";
  let session = 0; // bumps on every start/stop so callbacks of an old stream do nothing

  function setState(next: State): void {
    state = next;
    el.dataset.state = next;
    const track = stream?.getVideoTracks()[0];
    view.dataset.camera = !track ? (next === "ended" ? "ended" : "off") : track.readyState;
    start.disabled = next === "starting" || next === "live" || next === "paused";
    stop.disabled = !(next === "starting" || next === "live" || next === "paused");
    freeze.disabled = next === "starting" || (!streaming() && meter.frames === 0); // the kernel needs a frame
    hud.show(meter, performance.now(), next);
  }

  // ----- camera lifecycle ----------------------------------------------------------------------

  async function begin(): Promise<void> {
    if (streaming()) return;
    const mine = ++session;
    setState("starting");
    try {
      const s = await openCamera();
      if (mine !== session) return stopStream(s); // stopped (or disposed) while asking
      stream = s;
      video.srcObject = s;
      await video.play().catch(() => undefined); // autoplay covers a refused play() for a muted video
    } catch (err) {
      if (mine !== session) return;
      ctx.reportError(err instanceof CameraError ? err.message : `Could not start the camera: ${err}`);
      setState("error");
      return;
    }
    for (const track of stream.getVideoTracks()) {
      track.addEventListener("ended", () => mine === session && end("The camera was disconnected or taken by another app: press Start again"));
    }
    grabber = new FrameGrabber(inputSize());
    hud.el.dataset.size = String(grabber.size);
    view.dataset.source = "camera";
    meter.reset();
    pump.reset(performance.now());
    latestFrame = 0;
    sentFrame = -1;
    lastLatency = undefined;
    setState(document.visibilityState === "hidden" ? "paused" : "live");
    takeFrames(mine);
    send();
  }

  /** Stop the camera (its light goes off) and tell the kernel; `why` is shown when not a user stop. */
  function end(why?: string, tellKernel = true): void {
    if (state === "off" || state === "ended" || state === "error") {
      if (!why) return;
    }
    session++;
    window.clearTimeout(waitTimer);
    frames?.close();
    frames = null;
    delete view.dataset.grab;
    stopStream(stream);
    const wasStreaming = state !== "off";
    setState(why ? "error" : "ended");
    if (why) ctx.reportError(why);
    video.pause();
    pump.reset(performance.now());
    lastGrid = null;
    overlay.getContext("2d")?.clearRect(0, 0, OVERLAY_SIDE, OVERLAY_SIDE);
    ctx.showLiveGrid(null);
    if (tellKernel && wasStreaming) trySend({ type: LIVE_STOP });
  }

  function trySend(content: object, buffers?: ArrayBuffer[]): boolean {
    try {
      model.send(content, undefined, buffers);
      return true;
    } catch (err) {
      console.debug("cnnwidget: could not send", err);
      return false;
    }
  }

  /** The kernel asks for frames of side `size` (adapted to its time per frame): grab at that side from now on. */
  function resize(size: unknown): void {
    if (!grabber || typeof size !== "number" || !Number.isInteger(size) || size === grabber.size) return;
    if (size < MIN_FRAME_SIDE || size > MAX_FRAME_SIDE) return;
    grabber = new FrameGrabber(size);
    hud.el.dataset.size = String(size);
  }

  function inputSize(): number {
    const size = Number(model.get("input_size"));
    return Number.isInteger(size) && size >= MIN_FRAME_SIDE && size <= MAX_FRAME_SIDE ? size : 224;
  }

  // ----- frames out ----------------------------------------------------------------------------

  /** Where camera frames come from: the track as they are captured, where the browser can and
   * live_options capture is not "video", else the playing video. Called at start and when the option changes. */
  function takeFrames(mine: number): void {
    const track = stream?.getVideoTracks()[0];
    const wanted = track && hasTrackFrames() && model.get("live_options")?.capture !== "video" ? "track" : "video";
    if (view.dataset.grab === wanted && (wanted === "video" || frames)) return;
    frames?.close();
    frames = null;
    latestFrame = 0;
    sentFrame = -1;
    view.dataset.grab = wanted;
    if (wanted === "track") {
      const source: TrackFrames = new TrackFrames(track!, (at) => {
        if (mine !== session || frames !== source) return;
        latestFrame = source.count;
        latestAt = at;
        send();
      });
      frames = source;
    } else watchFrames(mine);
  }

  /** Count camera frames as the video presents them; each new one may be sent at once. */
  function watchFrames(mine: number): void {
    const v = video as HTMLVideoElement & { requestVideoFrameCallback?: (cb: (now: number, meta: any) => void) => number };
    if (!v.requestVideoFrameCallback) return; // then every send() takes the current picture
    const onFrame = (now: number, meta: { presentationTime?: number; presentedFrames?: number }) => {
      if (mine !== session || frames) return; // the track took over
      latestFrame = meta.presentedFrames ?? latestFrame + 1;
      const at = meta.presentationTime ?? now;
      latestAt = at <= performance.now() ? at : performance.now();
      send();
      v.requestVideoFrameCallback!(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
  }

  /** Send the newest camera frame, if it is new and the pump has room for it. */
  function send(): void {
    window.clearTimeout(waitTimer);
    if (state !== "live" || !grabber || encoding) return;
    const now = performance.now();
    const hasRvfc = "requestVideoFrameCallback" in video;
    if ((frames || hasRvfc) && latestFrame === sentFrame) {
      // From the video: no new frame for a while (a hidden video may stop presenting them), send
      // the picture anyway. From the track: nothing to send until the camera delivers.
      waitTimer = window.setTimeout(() => { if (!frames) sentFrame = -1; send(); }, FRAME_WAIT_MS);
      return;
    }
    if (!pump.ready(now)) {
      waitTimer = window.setTimeout(send, pump.waitLeft(now) + 1); // an answer may be lost
      return;
    }
    if (!(frames ? drawTrackFrame(frames, grabber) : grabber.draw(video))) {
      waitTimer = window.setTimeout(send, FRAME_WAIT_MS);
      return;
    }
    sentFrame = latestFrame;
    const t = frames ? latestAt : hasRvfc && latestAt > 0 && now - latestAt < 1000 ? latestAt : now;
    const side = grabber.size;
    if (model.get("live_options")?.frame_format !== "jpeg") return post(grabber.pixels().data.buffer as ArrayBuffer, "rgba", side, t);
    const mine = session;
    encoding = true;
    grabber.jpeg(JPEG_QUALITY).then(
      (bytes) => {
        encoding = false;
        if (mine === session && state === "live") post(bytes, "jpeg", side, t);
      },
      (err) => {
        encoding = false;
        if (mine === session) end(`Could not encode a camera frame (${err}): camera stopped; press Start again`);
      },
    );
  }

  /** Send one grabbed frame (`format` "rgba" or "jpeg", `side` px square, camera time `t`), then the next if one is waiting. */
  function post(bytes: ArrayBuffer, format: string, side: number, t: number): void {
    const now = performance.now();
    const flight = pump.send(now, t, model.get("live_mode"));
    const content: Record<string, unknown> = { type: FRAME, id: flight.id, width: side, height: side, t, format };
    if (lastLatency !== undefined) content.latency_ms = Math.round(lastLatency * 10) / 10;
    if (!trySend(content, [bytes])) return end("The kernel cannot be reached: camera stopped");
    if (latestFrame !== sentFrame) send(); // a camera frame came while this one was encoded
    else waitTimer = window.setTimeout(send, ANSWER_TIMEOUT_MS + 1);
  }

  /** The newest camera frame from the track, drawn and closed (false when none is new). */
  function drawTrackFrame(source: TrackFrames, into: FrameGrabber): boolean {
    const frame = source.take();
    if (!frame) return false;
    try {
      return into.drawFrame(frame);
    } finally {
      frame.close();
    }
  }

  // ----- results in ----------------------------------------------------------------------------

  function onMessage(content: any, buffers?: (DataView | ArrayBuffer)[]): void {
    if (content?.type !== LIVE_RESULT) return;
    if (content.frame_included) return showFed(content, buffers ?? []);
    const kernelMs = typeof content.kernel_ms === "number" ? content.kernel_ms : undefined;
    const got = pump.answer(content.id, performance.now(), { content, payload: asBytes(buffers?.[0]) }, kernelMs);
    if (got) draw(got, session);
  }

  /** Draw one answer; the next waiting one (the pump keeps the newest) follows when it is drawn. */
  function draw({ flight, payload: { content, payload } }: Answer<LiveAnswer>, mine: number): void {
    if (mine !== session) return;
    view.dataset.mode = content.mode;
    resize(content.size);
    if (typeof content.precision === "string") hud.el.dataset.precision = content.precision; // int8, float32 (int8 building), ...
    if (content.mode === "dream") {
      leaveMaps();
      void showDream(payload, mine).then(() => drawn(flight, mine));
      return;
    }
    if (state !== "ended") showGrid(content, payload);
    queueMicrotask(() => drawn(flight, mine)); // after index.ts has repainted the grid
  }

  /** Dream answers: the grid panel goes back to the `grid` trait, no map over the picture. */
  function leaveMaps(): void {
    if (!lastGrid) return;
    lastGrid = null;
    ctx.showLiveGrid(null);
    overlay.getContext("2d")?.clearRect(0, 0, OVERLAY_SIDE, OVERLAY_SIDE);
  }

  /** A maps-mode answer: the grid panel and the map over the picture show it. */
  function showGrid(content: any, payload: Uint8Array): void {
    try {
      lastGrid = decodeGrid(payload, {
        layer: content.layer, channels: content.channels, height: content.height, width: content.width, version: -1,
      });
    } catch (err) {
      console.debug(`cnnwidget: live grid: ${(err as Error).message}`);
    }
    ctx.showLiveGrid(lastGrid);
    drawOverlay();
  }

  /** Draw a dreamed frame (JPEG bytes) into the live view; resolves when drawn (or undrawable). */
  async function showDream(payload: Uint8Array, mine: number): Promise<void> {
    try {
      const bitmap = await createImageBitmap(new Blob([payload as Uint8Array<ArrayBuffer>], { type: "image/jpeg" }));
      if (mine === session) {
        if (dream.width !== bitmap.width || dream.height !== bitmap.height) {
          dream.width = bitmap.width;
          dream.height = bitmap.height;
        }
        dream.getContext("2d")!.drawImage(bitmap, 0, 0);
      }
      bitmap.close();
    } catch (err) {
      console.debug("cnnwidget: bad dream frame", err);
    }
  }

  /** A frame pushed from Python (`ex.feed`): buffers [grid or dream, JPEG of the frame]. */
  function showFed(content: any, buffers: (DataView | ArrayBuffer)[]): void {
    if (streaming()) return; // the camera has the view
    const frame = asBytes(buffers[1]);
    if (!frame.byteLength) return;
    if (fedUrl) URL.revokeObjectURL(fedUrl);
    fedUrl = URL.createObjectURL(new Blob([frame as Uint8Array<ArrayBuffer>], { type: "image/jpeg" }));
    fed.src = fedUrl;
    view.dataset.source = "python";
    view.dataset.mode = content.mode;
    const payload = asBytes(buffers[0]);
    if (content.mode === "dream") {
      leaveMaps();
      void showDream(payload, session);
    } else showGrid(content, payload);
    meter.record(performance.now(), NaN); // no camera clock: frame count and rate only
    setState(state); // Freeze is possible now; the HUD shows the count
  }

  function streaming(): boolean {
    return state === "starting" || state === "live" || state === "paused";
  }

  /**
   * The answer to `flight` is drawn: draw the next waiting answer or send the next frame at once,
   * and measure the latency when the browser has painted it (the task after the next animation frame).
   */
  function drawn(flight: Flight, mine: number): void {
    if (mine !== session) return;
    const next = pump.done(flight);
    requestAnimationFrame(() => afterPaint(() => {
      if (mine !== session) return;
      const now = performance.now();
      lastLatency = now - flight.t;
      meter.record(now, lastLatency, latencyParts(flight, now));
      hud.show(meter, now, state);
      hud.el.dataset.window = String(pump.window); // frames allowed in flight now
      hud.el.dataset.rttMs = (flight.rttMs ?? 0).toFixed(1); // this frame's send-to-answer time
    }));
    if (next) draw(next, mine);
    else send();
  }

  /** Where the latency of `flight`, painted at `now`, went (see LatencyParts). */
  function latencyParts(flight: Flight, now: number): LatencyParts {
    const rtt = flight.rttMs ?? 0;
    const kernel = Math.min(flight.kernelMs ?? 0, rtt);
    return { wait: flight.sentAt - flight.t, trip: rtt - kernel, kernel, draw: now - flight.sentAt - rtt };
  }

  function drawOverlay(): void {
    const g = overlay.getContext("2d")!;
    g.clearRect(0, 0, OVERLAY_SIDE, OVERLAY_SIDE);
    const grid = lastGrid;
    const sel = model.get("selected") as [string, number] | [];
    if (!grid || sel.length !== 2 || sel[0] !== grid.layer || sel[1] >= grid.channels) return;
    if (small.width !== grid.width || small.height !== grid.height) {
      small.width = grid.width;
      small.height = grid.height;
    }
    paintTile(small.getContext("2d")!, grid, sel[1], lut(model.get("colormap")), model.get("normalization") === "layer");
    g.imageSmoothingEnabled = true;
    g.drawImage(small, 0, 0, OVERLAY_SIDE, OVERLAY_SIDE);
  }

  // ----- freeze --------------------------------------------------------------------------------

  function requestFreeze(): void {
    if (!streaming() && meter.frames > 0) { // the kernel's last frame: the camera's or one fed from Python
      trySend({ type: FREEZE });
      return;
    }
    if (state !== "live" && state !== "paused") return;
    // The frame on screen, not the kernel's latest: with frames in flight the kernel may have
    // computed newer ones the user never saw. Answers still on their way are ignored.
    const seen = pump.drawnId;
    trySend(seen > 0 ? { type: FREEZE, id: seen } : { type: FREEZE });
    end();
  }

  // ----- top crops -----------------------------------------------------------------------------

  function showCrops(): void {
    const meta = (model.get("top_crops_meta") ?? {}) as { unit?: [string, number]; values?: number[]; tile?: number };
    const sel = model.get("selected") as [string, number] | [];
    const bytes = asBytes(model.get("top_crops"));
    const same = !!meta.unit && sel.length === 2 && meta.unit[0] === sel[0] && meta.unit[1] === sel[1];
    crops.hidden = !bytes.byteLength || !same;
    if (crops.hidden) return;
    if (cropsUrl) URL.revokeObjectURL(cropsUrl);
    cropsUrl = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "image/jpeg" }));
    cropsImg.src = cropsUrl;
    const values = meta.values ?? [];
    cropsImg.dataset.count = String(values.length);
    cropsImg.title = values.map((v, i) => `#${i + 1}: ${fmt(v)}`).join("\n");
    cropsCaption.textContent = `${sel[0]} #${sel[1]}: top ${values.length} crops seen live (strongest first)`;
    cropsValues.replaceChildren(...values.map((v) => h("span", {}, fmt(v))));
  }

  // ----- wiring --------------------------------------------------------------------------------

  off.add(listen(start, "click", () => void begin()));
  off.add(listen(stop, "click", () => end()));
  off.add(listen(freeze, "click", requestFreeze));
  off.add(listen(mode, "change", () => {
    model.set("live_mode", mode.value);
    model.save_changes();
  }));
  off.add(listen(document, "visibilitychange", () => {
    const hidden = document.visibilityState === "hidden";
    for (const track of stream?.getVideoTracks() ?? []) track.enabled = !hidden;
    if (hidden && state === "live") setState("paused");
    else if (!hidden && state === "paused") {
      pump.reset(performance.now()); // the silence while hidden was ours, not the kernel's
      setState("live");
      send();
    }
  }));
  model.on("msg:custom", onMessage);
  off.add(() => model.off("msg:custom", onMessage));
  // The widget closed on the kernel side, or the kernel is restarting (the widget manager marks
  // every model's comm dead): the camera goes off. `this` is the view in Backbone's callback.
  const closed = () => end(state === "live" || state === "paused" ? "The widget was closed or the kernel restarted: camera stopped" : undefined, false);
  const commLive = function (this: { model?: { comm_live?: boolean } } | undefined) {
    if (this?.model?.comm_live === false) closed();
  };
  for (const [event, fn] of [["comm:close", closed], ["destroy", closed], ["comm_live_update", commLive]] as const) {
    model.on(event, fn);
    off.add(() => model.off(event, fn));
  }
  const clock = window.setInterval(() => {
    const now = performance.now();
    if (state === "live" && now - pump.lastAnswer > KERNEL_SILENT_MS) {
      end(`The kernel sent nothing for ${KERNEL_SILENT_MS / 1000} s (busy, restarted or closed): camera stopped; press Start again`, false);
    }
    hud.show(meter, now, state);
  }, 1000);
  off.add(() => window.clearInterval(clock));
  off.add(() => {
    session++;
    window.clearTimeout(waitTimer);
    if (state === "starting" || state === "live" || state === "paused") trySend({ type: LIVE_STOP });
    frames?.close();
    stopStream(stream);
    if (cropsUrl) URL.revokeObjectURL(cropsUrl);
    if (fedUrl) URL.revokeObjectURL(fedUrl);
  });

  // A task queued from a requestAnimationFrame callback runs after that frame's paint.
  const painted = new MessageChannel(), queue: (() => void)[] = [];
  painted.port1.onmessage = () => queue.shift()?.();
  const afterPaint = (fn: () => void) => {
    queue.push(fn);
    painted.port2.postMessage(null);
  };
  off.add(() => painted.port1.close());

  return {
    el,
    update(changed) {
      options.update(changed);
      if (changed.has("live_options") && stream && (state === "live" || state === "paused")) takeFrames(session);
      if (changed.has("live_mode")) mode.value = model.get("live_mode");
      if (["selected", "colormap", "normalization"].some((t) => changed.has(t)) && lastGrid) drawOverlay();
      if (["top_crops", "top_crops_meta", "selected"].some((t) => changed.has(t))) showCrops();
    },
    dispose: () => {
      options.dispose();
      off.run();
    },
  };
}
