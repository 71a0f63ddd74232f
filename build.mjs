// Bundle js/index.ts into cnnwidget/static/index.js (ESM, as anywidget loads it).
import { build } from "esbuild";

await build({
  entryPoints: ["js/index.ts"],
  bundle: true,
  format: "esm",
  minify: true,
  sourcemap: false,
  target: ["es2020"],
  outfile: "cnnwidget/static/index.js",
  loader: { ".css": "text" },
});
console.log("built cnnwidget/static/index.js");
