// Run the front end's unit tests: bundle each js/test/*.test.ts with esbuild, run it with node.
// Usage: node js/test/run.mjs   (npm test). Exit code 1 when any check fails.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const tests = readdirSync(here).filter((f) => f.endsWith(".test.ts"));
const out = mkdtempSync(join(tmpdir(), "cnnwidget-js-"));
let failed = 0;
try {
  await build({
    entryPoints: tests.map((t) => join(here, t)),
    bundle: true, platform: "node", format: "esm", outdir: out, outExtension: { ".js": ".mjs" },
    loader: { ".css": "text" }, logLevel: "error",
  });
  for (const test of tests) {
    console.log(`# ${test}`);
    const run = spawnSync(process.execPath, [join(out, test.replace(/\.ts$/, ".mjs"))], { stdio: "inherit" });
    if (run.status !== 0) failed++;
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
console.log(failed ? `${failed} test file(s) failed` : `all ${tests.length} test files passed`);
process.exit(failed ? 1 : 0);
