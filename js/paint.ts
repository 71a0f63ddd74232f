// Painting activation tiles: quantized bytes → colormap LUT → ImageData, with no per-pixel float maths.
import type { Grid } from "./protocol";

/**
 * A 256-entry remap from a channel's own 0..255 code to a code on the scale in use.
 * Per channel it is the identity; per layer it maps min_c..max_c into layerMin..layerMax.
 */
export function codeRemap(grid: Grid, channel: number, perLayer: boolean): Uint8Array {
  const remap = new Uint8Array(256);
  const lo = grid.stats[channel * 4], hi = grid.stats[channel * 4 + 1];
  const span = grid.layerMax - grid.layerMin;
  for (let q = 0; q < 256; q++) {
    if (!perLayer) remap[q] = q;
    else if (span <= 0) remap[q] = 0;
    else {
      const value = lo + (q / 255) * (hi - lo);
      remap[q] = Math.max(0, Math.min(255, Math.round(((value - grid.layerMin) / span) * 255)));
    }
  }
  return remap;
}

/** Draw channel `channel` of `grid` onto `ctx` at its native size (W × H pixels). */
export function paintTile(
  ctx: CanvasRenderingContext2D,
  grid: Grid,
  channel: number,
  lut: Uint8ClampedArray,
  perLayer: boolean,
  reuse?: ImageData,
): ImageData {
  const { width: w, height: h } = grid;
  const image = reuse && reuse.width === w && reuse.height === h ? reuse : ctx.createImageData(w, h);
  const out = image.data;
  const remap = codeRemap(grid, channel, perLayer);
  const offset = channel * w * h;
  for (let i = 0; i < w * h; i++) {
    const k = remap[grid.tiles[offset + i]] * 4;
    const o = i * 4;
    out[o] = lut[k];
    out[o + 1] = lut[k + 1];
    out[o + 2] = lut[k + 2];
    out[o + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return image;
}

/** Channel indices in display order for `sort` ("index", "max" or "mean"; strongest first). */
export function displayOrder(grid: Grid, sort: string): number[] {
  const order = Array.from({ length: grid.channels }, (_, i) => i);
  const column = sort === "max" ? 1 : sort === "mean" ? 2 : -1;
  if (column < 0) return order;
  const s = grid.stats;
  return order.sort((a, b) => s[b * 4 + column] - s[a * 4 + column] || a - b);
}

/** Where tile `c` sits in a sheet of all tiles: `cols` tiles per row, each W × H pixels. */
export function sheetColumns(channels: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(channels)));
}

/**
 * All channels of `grid` as one RGBA picture (tile c at column c % cols, row ⌊c / cols⌋), so the
 * grid is drawn from one image onto one canvas instead of one canvas per channel.
 */
export function paintSheet(grid: Grid, lut: Uint8ClampedArray, perLayer: boolean, reuse?: ImageData): ImageData {
  const { width: w, height: h, channels } = grid;
  const cols = sheetColumns(channels), rows = Math.max(1, Math.ceil(channels / cols));
  const sw = cols * w, sh = rows * h;
  const image = reuse && reuse.width === sw && reuse.height === sh ? reuse : new ImageData(sw, sh);
  const out = image.data;
  for (let c = 0; c < channels; c++) {
    const remap = codeRemap(grid, c, perLayer);
    const x0 = (c % cols) * w, y0 = Math.floor(c / cols) * h;
    let src = c * w * h;
    for (let y = 0; y < h; y++) {
      let o = ((y0 + y) * sw + x0) * 4;
      for (let x = 0; x < w; x++, o += 4) {
        const k = remap[grid.tiles[src++]] * 4;
        out[o] = lut[k];
        out[o + 1] = lut[k + 1];
        out[o + 2] = lut[k + 2];
        out[o + 3] = 255;
      }
    }
  }
  return image;
}
