// The live HUD (data-testid="live-stats"): frames per second, camera-to-screen latency and the
// frame count, as visible text and as data-fps / data-latency-ms / data-frames attributes; the
// side of the frames in use (data-size, set by livePanel.ts) and the frames allowed in flight (data-window);
// where the latency goes (data-wait-ms, data-trip-ms, data-kernel-ms, data-draw-ms and the HUD's tooltip).
import { h } from "./dom";

/**
 * One drawn frame's latency in parts (ms), which add up to its camera-to-screen latency:
 * `wait` camera frame to send (the frame waited for room in the window), `trip` the round trip
 * without the kernel's computing (network both ways, queues, the server), `kernel` the kernel's
 * own time, `draw` answer to painted screen (decoding, drawing, the next animation frame).
 */
export interface LatencyParts {
  wait: number;
  trip: number;
  kernel: number;
  draw: number;
}

const PART_NAMES = ["wait", "trip", "kernel", "draw"] as const;
const PART_LABELS: Record<keyof LatencyParts, string> = {
  wait: "camera to send", trip: "network and queues", kernel: "kernel", draw: "draw and paint",
};

function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Frame rate over the last `windowMs` and the median latency of the last `keep` frames. */
export class LiveMeter {
  frames = 0;
  private times: number[] = [];
  private latencies: number[] = [];
  private parts: Record<keyof LatencyParts, number[]> = { wait: [], trip: [], kernel: [], draw: [] };

  constructor(private windowMs = 2000, private keep = 60) {}

  /**
   * Note one drawn frame at time `now` (ms) that took `latencyMs` from camera to screen (NaN:
   * unknown), made of `parts` when known.
   */
  record(now: number, latencyMs: number, parts?: LatencyParts): void {
    this.frames++;
    this.times.push(now);
    while (this.times.length > 2 && now - this.times[0] > this.windowMs) this.times.shift();
    if (!Number.isFinite(latencyMs)) return;
    this.latencies.push(latencyMs);
    if (this.latencies.length > this.keep) this.latencies.shift();
    if (!parts) return;
    for (const name of PART_NAMES) {
      const list = this.parts[name];
      list.push(parts[name]);
      if (list.length > this.keep) list.shift();
    }
  }

  /** Median of each latency part over the recent frames (null before a frame with parts). */
  partsP50(): LatencyParts | null {
    if (!this.parts.wait.length) return null;
    const out = {} as LatencyParts;
    for (const name of PART_NAMES) out[name] = median(this.parts[name])!;
    return out;
  }

  /** Frames per second over the window ending at `now` (0 with fewer than two frames or a stalled stream). */
  fps(now: number): number {
    const t = this.times;
    if (t.length < 2 || now - t[t.length - 1] > this.windowMs) return 0;
    return (t.length - 1) / Math.max((t[t.length - 1] - t[0]) / 1000, 1e-6);
  }

  /** Median latency of the recent frames in ms, or null before the first. */
  latencyP50(): number | null {
    return median(this.latencies);
  }

  reset(): void {
    this.frames = 0;
    this.times = [];
    this.latencies = [];
    for (const name of PART_NAMES) this.parts[name] = [];
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
      const parts = meter.partsP50();
      for (const name of PART_NAMES) {
        const key = `${name}Ms` as const;
        if (parts) el.dataset[key] = parts[name].toFixed(1);
        else delete el.dataset[key];
      }
      if (now - textAt < TEXT_EVERY_MS && state === textState) return; // text repaints cost a layout
      textAt = now;
      textState = state;
      const size = el.dataset.size ? ` · ${el.dataset.size} px` : ""; // the side of the frames sent (live.size)
      const precision = el.dataset.precision ? ` · ${el.dataset.precision}` : ""; // what the kernel computed in
      el.textContent = `${fps.toFixed(1)} fps · ${latency === null ? "–" : Math.round(latency)} ms · ` +
        `${meter.frames} frames${size}${precision}${state === "live" ? "" : ` · ${state}`}`;
      el.title = parts
        ? "Latency p50 in parts: " + PART_NAMES.map((n) => `${PART_LABELS[n]} ${Math.round(parts[n])} ms`).join(" · ")
        : "";
    },
  };
}
