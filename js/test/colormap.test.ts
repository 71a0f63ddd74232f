import { buildLut, COLORMAPS, cssGradient, lut } from "../colormap";
import { check, equal } from "./check";

check("every colormap has 256 opaque RGBA entries from first to last anchor", () => {
  equal(COLORMAPS, ["viridis", "magma", "gray", "coolwarm"], "names");
  for (const name of COLORMAPS) {
    const table = lut(name);
    equal(table.length, 1024, `${name} length`);
    for (let i = 3; i < 1024; i += 4) if (table[i] !== 255) throw new Error(`${name} alpha at ${i}`);
  }
  equal(Array.from(lut("viridis").slice(0, 3)), [0x44, 0x01, 0x54], "viridis start");
  equal(Array.from(lut("viridis").slice(1020, 1023)), [0xfd, 0xe7, 0x25], "viridis end");
});

check("interpolation is linear between anchors", () => {
  const gray = buildLut(["#000000", "#ffffff"]);
  for (const i of [0, 1, 100, 128, 255]) equal(Array.from(gray.slice(i * 4, i * 4 + 3)), [i, i, i], `gray ${i}`);
  const three = buildLut(["#000000", "#ff0000", "#ffffff"]);
  equal(three[4 * 255], 255, "end red");
  equal(three[4 * 255 + 1], 255, "end green");
});

check("unknown names fall back to viridis; gradients list the anchors", () => {
  equal(lut("nope") === lut("viridis"), true, "fallback");
  equal(cssGradient("gray"), "linear-gradient(to right, #000000, #ffffff)", "gradient");
});
