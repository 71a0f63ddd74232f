import { readFileSync } from "node:fs";
import { codeRemap, displayOrder, paintSheet, sheetColumns } from "../paint";
import { channelStats, decodeGrid } from "../protocol";
import { check, close, equal, throws } from "./check";

/** A grid of C=2, H=1, W=2 built by hand: channel 0 spans 0..1, channel 1 spans -1..3. */
function handmade(offset = 0): DataView {
  const buffer = new ArrayBuffer(offset + 2 * 16 + 4);
  const view = new DataView(buffer, offset);
  [0, 1, 0.5, 1, -1, 3, 2, 0].forEach((v, i) => view.setFloat32(i * 4, v, true));
  new Uint8Array(buffer, offset + 32).set([0, 255, 255, 0]);
  return view;
}
const META = { layer: "l", channels: 2, height: 1, width: 2, version: 3 };

check("decodeGrid reads stats and tiles, aligned or not", () => {
  for (const offset of [0, 1]) {
    const grid = decodeGrid(handmade(offset), META)!;
    equal(Array.from(grid.stats), [0, 1, 0.5, 1, -1, 3, 2, 0], "stats");
    equal(Array.from(grid.tiles), [0, 255, 255, 0], "tiles");
    equal([grid.layerMin, grid.layerMax, grid.version, grid.layer], [-1, 3, 3, "l"], "layer scale");
    equal(channelStats(grid, 1), { min: -1, max: 3, mean: 2, argmax: 0 }, "channel stats");
  }
});

check("decodeGrid: empty is null, a wrong size throws", () => {
  equal(decodeGrid(new DataView(new ArrayBuffer(0)), META), null, "empty");
  throws(() => decodeGrid(handmade(), { ...META, width: 3 }), /expected 38/);
});

check("codeRemap maps a channel's codes onto the layer scale", () => {
  const grid = decodeGrid(handmade(), META)!;
  equal(codeRemap(grid, 0, false)[200], 200, "per channel is identity");
  const remap = codeRemap(grid, 0, true); // 0..1 inside -1..3
  equal([remap[0], remap[255]], [64, 128], "per layer");
});

check("displayOrder sorts strongest first, ties by index", () => {
  const grid = decodeGrid(handmade(), META)!;
  equal(displayOrder(grid, "index"), [0, 1], "index");
  equal(displayOrder(grid, "max"), [1, 0], "max");
  equal(displayOrder(grid, "mean"), [1, 0], "mean");
});

// Contract with cnnwidget/protocol.py: the Python test writes encode_grid's bytes and
// decode_grid's answer (tests/e2e/test_js_units.py); the decoder here must agree.
const fixture = process.env.CNNWIDGET_GRID_FIXTURE;
if (fixture) {
  check("decodeGrid agrees with protocol.encode_grid / decode_grid", () => {
    const bytes = readFileSync(`${fixture}/grid.bin`);
    const expected = JSON.parse(readFileSync(`${fixture}/expected.json`, "utf8"));
    const grid = decodeGrid(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), expected.meta)!;
    equal(grid.channels, expected.meta.channels, "channels");
    expected.stats.forEach((v: number, i: number) => close(grid.stats[i], v, 1e-6, `stat ${i}`));
    const hw = grid.height * grid.width;
    expected.values.forEach((v: number, i: number) => {
      const s = channelStats(grid, Math.floor(i / hw));
      close(s.min + (grid.tiles[i] / 255) * (s.max - s.min), v, 1e-4, `value ${i}`);
    });
  });
}

check("paintSheet lays tiles out ceil(sqrt(C)) per row through the LUT", () => {
  const grid = decodeGrid(handmade(), META)!; // 2 channels of 1×2: sheet of 2 columns → 4×1
  const lutGray = new Uint8ClampedArray(256 * 4).map((_, i) => (i % 4 === 3 ? 255 : i >> 2));
  const fake = { width: 4, height: 1, data: new Uint8ClampedArray(16) } as unknown as ImageData;
  const out = paintSheet(grid, lutGray, false, fake);
  equal(out === fake, true, "reuses a matching ImageData");
  equal(Array.from(out.data).filter((_, i) => i % 4 === 0), [0, 255, 255, 0], "tile codes in place");
  equal(sheetColumns(2), 2, "columns of 2");
  equal([sheetColumns(256), sheetColumns(257), sheetColumns(1)], [16, 17, 1], "columns");
});
