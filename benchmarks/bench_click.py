"""Click-to-maximize latency in a real JupyterLab + Chromium: click → first streamed picture, click → done.

Each run clicks a different unit of resnet18 (random weights, seed 0) ``--layer`` (fresh, so
never from the cache) and times, with the page's own clock (``performance.now()``):

* **first picture**: from the click event to the ``load`` of the first picture of the new job
  in ``maximize-image`` (what the user sees first);
* **done**: from the click to ``data-status="done"`` with the final picture for ``--steps`` steps.

The first click is a warm-up and is reported separately. Figures are appended to
benchmarks/RESULTS.md. Server and browser are launched like the e2e suite
(tests/e2e/conftest.py: ``running_jupyterlab``, Debian Chromium and its flags).

Usage::

    .venv/bin/python benchmarks/bench_click.py                 # 6 clicks, layer3, 128 steps, size 160
    .venv/bin/python benchmarks/bench_click.py --clicks 10 --no-record
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, NotebookPage, running_jupyterlab  # noqa: E402

RESULTS = REPO / "benchmarks" / "RESULTS.md"

# Page side: arm the timers for one click on `unit` ("layer:channel").
ARM_JS = """([unit]) => {
  const img = document.querySelector('[data-testid=maximize-image]');
  const grid = document.querySelector('[data-testid=activation-grid]');
  if (window.__bench) window.__bench.stop();
  const b = { unit, click: null, firstSet: null, firstLoaded: null, firstStep: null, done: null };
  const onClick = () => { if (b.click === null) b.click = performance.now(); };
  const onLoad = () => { if (b.firstSet !== null && b.firstLoaded === null) b.firstLoaded = performance.now(); };
  const watch = new MutationObserver(() => {
    const d = img.dataset;
    if (d.unit !== unit || b.click === null) return;
    if (b.firstSet === null && d.status === 'running' && !img.hasAttribute('data-stale') && img.getAttribute('src')) {
      b.firstSet = performance.now(); b.firstStep = Number(d.step);
    }
    if (d.status === 'done' && b.done === null) b.done = performance.now();
  });
  grid.addEventListener('click', onClick, true);
  img.addEventListener('load', onLoad);
  watch.observe(img, { attributes: true, attributeFilter: ['data-status', 'data-step', 'data-unit', 'src'] });
  b.stop = () => { watch.disconnect(); grid.removeEventListener('click', onClick, true); img.removeEventListener('load', onLoad); };
  window.__bench = b;
}"""

SETUP = """\
import torch, torchvision
from cnnwidget import CNNExplorer
torch.manual_seed(0)
ex = CNNExplorer(torchvision.models.resnet18(), layer={layer!r})
ex.maximize_options = {{**ex.maximize_options, "steps": {steps}{size}}}
print(torch.get_num_threads(), ex.maximize_options)
ex"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(args) -> dict:
    from playwright.sync_api import sync_playwright

    subprocess.run(["node", "build.mjs"], cwd=REPO, check=True, capture_output=True, timeout=120)
    size = f', "size": {args.size}' if args.size else ""
    cells = [SETUP.format(layer=args.layer, steps=args.steps, size=size)]
    with tempfile.TemporaryDirectory(prefix="cnnwidget-bench-click-") as tmp, running_jupyterlab(Path(tmp)) as server:
        server.write_notebook("bench_click.ipynb", cells)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.goto(server.url + "/lab/tree/bench_click.ipynb")
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
            server.wait_kernel_idle("bench_click.ipynb")
            nb = NotebookPage(page, "bench_click.ipynb", server)
            nb.run_cell(0, timeout_s=300)
            units = page.get_by_test_id("activation-grid").get_by_test_id("unit")
            units.first.wait_for(timeout=240_000)
            options = nb.output_text(0).splitlines()[0]
            runs = []
            for i in range(args.clicks + 1):
                channel = 11 + 23 * i  # a fresh unit each time: never from the cache
                unit = units.and_(page.locator(f"[data-channel='{channel}']"))
                unit.scroll_into_view_if_needed()
                page.evaluate(ARM_JS, [f"{args.layer}:{channel}"])
                unit.click()
                page.wait_for_function("() => window.__bench.done !== null", timeout=600_000)
                b = page.evaluate("() => { const b = window.__bench; b.stop(); return b; }")
                runs.append({
                    "channel": channel, "first_step": b["firstStep"],
                    "first_ms": round(b["firstLoaded"] - b["click"], 1),
                    "first_set_ms": round(b["firstSet"] - b["click"], 1),
                    "done_s": round((b["done"] - b["click"]) / 1000, 2),
                })
                print(("warm-up " if i == 0 else f"click {i}: ") + str(runs[-1]), flush=True)
            browser.close()
    timed = runs[1:]
    firsts = [r["first_ms"] for r in timed]
    dones = [r["done_s"] for r in timed]
    return {
        "options": options, "runs": runs,
        "first_median_ms": statistics.median(firsts), "first_p90_ms": percentile(firsts, 0.9),
        "done_median_s": statistics.median(dones), "done_p90_s": percentile(dones, 0.9),
        "first_steps": sorted({r["first_step"] for r in timed}),
    }


def record(args, result: dict, command: str) -> None:
    load = os.getloadavg()[0]
    lines = [
        "",
        f"## bench_click — {dt.date.today().isoformat()}",
        "",
        f"Machine: {os.cpu_count()}-core CPU, no GPU, shared with the browser (and other work; load average {load:.1f}"
        " at the end). Kernel OMP_NUM_THREADS=1 as in the e2e suite; Debian Chromium, headless.",
        f"Command: `{command}`",
        f"Model: resnet18 (random weights, seed 0), {args.layer}; kernel printed `{result['options']}`.",
        "",
        "| clicks | click → first picture, median | p90 | click → done, median | p90 | step of the first picture |",
        "|---|---|---|---|---|---|",
        f"| {len(result['runs']) - 1} (+1 warm-up) | {result['first_median_ms']:.0f} ms | {result['first_p90_ms']:.0f} ms "
        f"| {result['done_median_s']:.1f} s | {result['done_p90_s']:.1f} s | {result['first_steps']} |",
        "",
        "Per click (first = `load` of the first streamed picture; set = when its `src` was set): "
        + "; ".join(f"#{r['channel']}: first {r['first_ms']:.0f} ms (set {r['first_set_ms']:.0f}), done {r['done_s']} s"
                    for r in result["runs"][1:])
        + f". Warm-up click: first {result['runs'][0]['first_ms']:.0f} ms, done {result['runs'][0]['done_s']} s.",
        "",
    ]
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n")
    with open(RESULTS, "a") as out:
        out.write("\n".join(lines))
    print(f"appended to {RESULTS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clicks", type=int, default=6, help="timed clicks (after one warm-up)")
    parser.add_argument("--layer", default="layer3")
    parser.add_argument("--steps", type=int, default=128)
    parser.add_argument("--size", type=int, default=0, help="picture size in px (0: the widget's default)")
    parser.add_argument("--no-record", action="store_true", help="do not append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    result = run(args)
    print(f"click → first picture: median {result['first_median_ms']:.0f} ms, p90 {result['first_p90_ms']:.0f} ms; "
          f"click → done: median {result['done_median_s']:.1f} s, p90 {result['done_p90_s']:.1f} s")
    if not args.no_record:
        record(args, result, " ".join(["python benchmarks/bench_click.py", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
