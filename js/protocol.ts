// Mirror of cnnwidget/widget/protocol.py: message types and the binary grid layout (docs/protocol.md).
import type { GridMeta } from "./types";

/** Browser → kernel: an uploaded file. content {type, name}; buffers [file bytes]. */
export const UPLOAD = "upload";
/** Browser → kernel: use a bundled sample photo. content {type, name}. */
export const SAMPLE = "sample";
/** Browser → kernel: select a unit and maximize it with `maximize_options`. content {type, layer, channel}. */
export const MAXIMIZE = "maximize";
/** Browser → kernel: stop the running maximization or dream. content {type}. */
export const CANCEL = "cancel";
/** Browser → kernel: DeepDream the input picture with `dream_options`. content {type}. */
export const DREAM = "dream";
/** Kernel → browser: a maximization's current picture. content {job, unit, status, step, steps, value}; buffers [PNG]. */
export const MAXIMIZE_PROGRESS = "maximize_progress";
/** Kernel → browser: a dream after each octave. content {job, status, octave, octaves, step}; buffers [PNG]. */
export const DREAM_PROGRESS = "dream_progress";

/** Browser → kernel: one camera frame. content {type, id, width, height, t, latency_ms?}; buffers [RGBA bytes]. */
export const FRAME = "frame";
/** Browser → kernel: make the last live frame the input image. content {type}. */
export const FREEZE = "freeze";
/** Browser → kernel: the live stream ended. content {type}. */
export const LIVE_STOP = "live_stop";
/** Kernel → browser: the answer to one `frame` (its id echoed); buffers [grid | dream JPEG]. */
export const LIVE_RESULT = "live_result";

/**
 * Browser ↔ kernel: ask for an atlas picture, content {type, layer, channel}; the answer has the
 * same type, content {layer, channel, found, value?, steps?}, buffers [PNG] when found.
 */
export const ATLAS_IMAGE = "atlas_image";
/** Both ways: the transport probe and the switch to base64 (transport.ts, docs/protocol.md). */
export const TRANSPORT = "transport";
/** Content key of a message's buffers as base64 strings, and of a Bytes trait's value in base64 mode. */
export const B64 = "b64";
/** The probe's bytes, sent as a buffer both ways. */
export const TRANSPORT_PROBE: Uint8Array = new Uint8Array([0xca, 0xfe, 0x00, 0x01]);

/** Browser → kernel: draw the picture of a class (its logit maximized) in the maximization panel. content {type, class}. */
export const MAXIMIZE_CLASS = "maximize_class";
/** Browser → kernel: make the picture say a class (targeted PGD). content {type, class, eps}; eps in grey levels of 255. */
export const ADVERSARIAL = "adversarial";

/** float32 values per channel at the start of `grid`: min, max, mean, flat index of the max. */
export const STATS_PER_CHANNEL = 4;
/** Uploads larger than this are refused by the kernel; checked here too to save the transfer. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
/** Live frames larger than this on either side are refused by the kernel. */
export const MAX_FRAME_SIDE = 1024;
/** The smallest `input_size` the browser takes as a frame side (a smaller one means a broken trait: 224 then). */
export const MIN_FRAME_SIDE = 16;

/** A decoded `grid` trait. */
export interface Grid {
  layer: string;
  version: number;
  channels: number;
  height: number;
  width: number;
  /** [C * 4]: min, max, mean, argmax per channel. */
  stats: Float32Array;
  /** [C * H * W]: each channel quantized to 0..255 with its own min..max. */
  tiles: Uint8Array;
  /** Smallest channel min and largest channel max: the per-layer scale. */
  layerMin: number;
  layerMax: number;
}

/** Bytes of a Bytes trait, whichever form the widget manager hands over. */
export function asBytes(value: unknown): Uint8Array {
  if (value instanceof DataView) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  const b64 = (value as { b64?: unknown } | null)?.b64; // base64 transport (transport.ts)
  if (typeof b64 === "string") return base64Bytes(b64);
  return new Uint8Array(0);
}

const decoded = new Map<string, Uint8Array>(); // the last few base64 traits, decoded once

function base64Bytes(text: string): Uint8Array {
  let bytes = decoded.get(text);
  if (!bytes) {
    const raw = atob(text);
    bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    if (decoded.size >= 8) decoded.delete(decoded.keys().next().value!);
    decoded.set(text, bytes);
  }
  return bytes;
}

/**
 * Decode the `grid` trait described by `meta`. Returns null for an empty grid; throws when
 * the byte count does not match the shape (a protocol mismatch worth showing).
 */
export function decodeGrid(value: unknown, meta: Partial<GridMeta> | null | undefined): Grid | null {
  const bytes = asBytes(value);
  if (!meta || !bytes.byteLength) return null;
  const c = meta.channels ?? 0, h = meta.height ?? 0, w = meta.width ?? 0;
  const statBytes = c * STATS_PER_CHANNEL * 4;
  const expected = statBytes + c * h * w;
  if (bytes.byteLength !== expected) {
    throw new Error(`grid has ${bytes.byteLength} bytes, expected ${expected} for ${c}×${h}×${w}`);
  }
  // Copy the stats through a DataView: little-endian regardless of host and of alignment.
  const view = new DataView(bytes.buffer, bytes.byteOffset, statBytes);
  const stats = new Float32Array(c * STATS_PER_CHANNEL);
  for (let i = 0; i < stats.length; i++) stats[i] = view.getFloat32(i * 4, true);
  let layerMin = Infinity, layerMax = -Infinity;
  for (let ch = 0; ch < c; ch++) {
    layerMin = Math.min(layerMin, stats[ch * 4]);
    layerMax = Math.max(layerMax, stats[ch * 4 + 1]);
  }
  return {
    layer: meta.layer ?? "",
    version: meta.version ?? 0,
    channels: c,
    height: h,
    width: w,
    stats,
    tiles: bytes.subarray(statBytes, expected),
    layerMin: c ? layerMin : 0,
    layerMax: c ? layerMax : 0,
  };
}

/** Per-channel statistics of a decoded grid. */
export function channelStats(grid: Grid, channel: number) {
  const s = grid.stats, o = channel * STATS_PER_CHANNEL;
  return { min: s[o], max: s[o + 1], mean: s[o + 2], argmax: s[o + 3] };
}
