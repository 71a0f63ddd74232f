// Colormap lookup tables: 256 RGBA entries each, interpolated linearly between a few anchor colours.

const ANCHORS: Record<string, string[]> = {
  // Sampled at equal steps from the perceptually uniform matplotlib maps.
  viridis: ["#440154", "#472c7a", "#3b518b", "#2c718e", "#21908d", "#27ad81", "#5cc863", "#aadc32", "#fde725"],
  magma: ["#000004", "#1c1044", "#4f127b", "#812581", "#b5367a", "#e55064", "#fb8761", "#fec287", "#fcfdbf"],
  gray: ["#000000", "#ffffff"],
  // Moreland's diverging map: blue – light grey – red.
  coolwarm: ["#3b4cc0", "#6f92f3", "#aac7fd", "#dddcdc", "#f7b89c", "#e7745b", "#b40426"],
};

/** Names accepted by the `colormap` trait, in menu order. */
export const COLORMAPS = Object.keys(ANCHORS);

const cache = new Map<string, Uint8ClampedArray>();

function rgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Build a 256-entry RGBA table from anchor colours spaced evenly over 0..255. */
export function buildLut(anchors: string[]): Uint8ClampedArray {
  const colours = anchors.map(rgb);
  const lut = new Uint8ClampedArray(256 * 4);
  const segments = colours.length - 1;
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * segments;
    const k = Math.min(Math.floor(t), segments - 1);
    const f = t - k;
    const a = colours[k], b = colours[k + 1];
    for (let j = 0; j < 3; j++) lut[i * 4 + j] = Math.round(a[j] + (b[j] - a[j]) * f);
    lut[i * 4 + 3] = 255;
  }
  return lut;
}

/** The RGBA lookup table of `name` (viridis for an unknown name). */
export function lut(name: string): Uint8ClampedArray {
  const key = name in ANCHORS ? name : "viridis";
  let table = cache.get(key);
  if (!table) cache.set(key, (table = buildLut(ANCHORS[key])));
  return table;
}

/** A CSS linear-gradient showing the colormap, for legends. */
export function cssGradient(name: string): string {
  const anchors = ANCHORS[name] ?? ANCHORS.viridis;
  return `linear-gradient(to right, ${anchors.join(", ")})`;
}
