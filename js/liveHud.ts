// The live HUD (data-testid="live-stats"): frames per second, camera-to-screen latency and the
// frame count, as visible text and as data-fps / data-latency-ms / data-frames attributes; the
// side of the frames in use (data-size, set by livePanel.ts) and the frames allowed in flight (data-window).
import { h } from "./dom";

/** Frame rate over the last `windowMs` and the median latency of the last `keep` frames. */
export class LiveMeter {
  frames = 0;
  private times: number[] = [];
  private latencies: number[] = [];

  constructor(private windowMs = 2000, private keep = 60) {}

  /** Note one drawn frame at time `now` (ms) that took `latencyMs` from camera to screen (NaN: unknown). */
  record(now: number, latencyMs: number): void {
    this.frames++;
    this.times.push(now);
    while (this.times.length > 2 && now - this.times[0] > this.windowMs) this.times.shift();
    if (!Number.isFinite(latencyMs)) return;
    this.latencies.push(latencyMs);
    if (this.latencies.length > this.keep) this.latencies.shift();
  }

  /** Frames per second over the window ending at `now` (0 with fewer than two frames or a stalled stream). */
  fps(now: number): number {
    const t = this.times;
    if (t.length < 2 || now - t[t.length - 1] > this.windowMs) return 0;
    return (t.length - 1) / Math.max((t[t.length - 1] - t[0]) / 1000, 1e-6);
  }

  /** Median latency of the recent frames in ms, or null before the first. */
  latencyP50(): number | null {
    if (!this.latencies.length) return null;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  reset(): void {
    this.frames = 0;
    this.times = [];
    this.latencies = [];
  }
}

/** The visible text changes at most this often (the data-* attributes follow every frame). */
const TEXT_EVERY_MS = 250;

/** The HUD element and its `show(meter, now, state)`. */
export function liveHud() {
  const el = h("div", {
    class: "cnnx-hud", "data-testid": "live-stats", role: "status", "aria-live": "off",
    "data-fps": 0, "data-latency-ms": "", "data-frames": 0,
  }, "camera off");
  let textAt = -Infinity, textState = "";
  return {
    el,
    show(meter: LiveMeter, now: number, state: string): void {
      const fps = meter.fps(now), latency = meter.latencyP50();
      el.dataset.fps = fps.toFixed(1);
      el.dataset.latencyMs = latency === null ? "" : latency.toFixed(1);
      el.dataset.frames = String(meter.frames);
      if (now - textAt < TEXT_EVERY_MS && state === textState) return; // text repaints cost a layout
      textAt = now;
      textState = state;
      const size = el.dataset.size ? ` · ${el.dataset.size} px` : ""; // the side of the frames sent (live.size)
      const precision = el.dataset.precision ? ` · ${el.dataset.precision}` : ""; // what the kernel computed in
      el.textContent = `${fps.toFixed(1)} fps · ${latency === null ? "–" : Math.round(latency)} ms · ` +
        `${meter.frames} frames${size}${precision}${state === "live" ? "" : ` · ${state}`}`;
    },
  };
}
