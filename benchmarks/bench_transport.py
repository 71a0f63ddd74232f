"""Cost of the base64 fallback transport (docs/protocol.md): grid bytes and live frame rate,
binary buffers vs base64, in a real JupyterLab + Chromium with its fake camera.

For each encoding one explorer (resnet18, random weights, seed 0, ``--layer``) is shown; the
base64 run makes the page lose buffers as Colab does (``globalThis.cnnwidgetDropBuffers``), so
the explorer switches by itself. Measured:

* **grid bytes**: what the ``grid`` trait puts on the wire: the raw bytes (buffers) or the JSON
  ``{"b64": ...}`` (base64), printed by the kernel;
* **live fps**: the HUD's frames over ``--seconds`` of live maps (``data-frames`` of
  ``live-stats``, counted with the page's own clock), and its p50 latency.

The ratio base64 / buffers is the figure that matters (timings vary with the machine's load).
Figures are appended to benchmarks/RESULTS.md. Usage::

    .venv/bin/python benchmarks/bench_transport.py                # layer3, 20 s of camera each
    .venv/bin/python benchmarks/bench_transport.py --seconds 10 --no-record
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, NotebookPage, running_jupyterlab  # noqa: E402

RESULTS = REPO / "benchmarks" / "RESULTS.md"

SETUP = """\
import json, torch, torchvision
from cnnwidget import CNNExplorer
from cnnwidget.widget.transport import encode
torch.manual_seed(0)
ex = CNNExplorer(torchvision.models.resnet18(), layer={layer!r}, auto_maximize=False)
ex"""
REPORT = ("print('REPORT', ex.transport, len(ex.grid), len(json.dumps({'b64': encode(ex.grid)})), "
          "ex.grid_meta['channels'], ex.grid_meta['height'], ex.grid_meta['width'])")
COUNT_JS = """ms => new Promise((done) => {
  const hud = document.querySelector('[data-testid=live-stats]');
  const f0 = +hud.dataset.frames, t0 = performance.now();
  setTimeout(() => done([+hud.dataset.frames - f0, performance.now() - t0, +hud.dataset.latencyMs]), ms);
})"""


def one(p, encoding: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="cnnwidget-bench-transport-") as tmp, running_jupyterlab(Path(tmp)) as server:
        name = f"bench_transport_{encoding}.ipynb"
        server.write_notebook(name, [SETUP.format(layer=args.layer), REPORT])
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, permissions=["camera"])
        if encoding == "base64":
            context.add_init_script("globalThis.cnnwidgetDropBuffers = true;")
        page = context.new_page()
        page.goto(server.url + "/lab/tree/" + name)
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
        server.wait_kernel_idle(name)
        nb = NotebookPage(page, name, server)
        nb.run_cell(0, timeout_s=300)
        page.locator(f"[data-testid=cnn-explorer][data-transport={encoding}]").wait_for(timeout=240_000)
        page.get_by_test_id("activation-grid").get_by_test_id("unit").first.wait_for(timeout=240_000)
        words = nb.run_and_read(1).split("REPORT")[1].split()
        assert words[0] == encoding, words
        page.get_by_test_id("webcam-start").click()
        page.wait_for_function("() => +document.querySelector('[data-testid=live-stats]').dataset.frames >= 5", timeout=120_000)
        frames, ms, latency = page.evaluate(COUNT_JS, args.seconds * 1000)
        page.get_by_test_id("webcam-stop").click()
        browser.close()
    raw, b64 = int(words[1]), int(words[2])
    return {"encoding": encoding, "grid_bytes": raw if encoding == "buffers" else b64, "shape": "×".join(words[3:6]),
            "fps": frames / (ms / 1000), "latency_ms": latency}


def record(args, rows: list[dict], command: str) -> None:
    buffers, base64 = rows
    load = os.getloadavg()[0]
    lines = [
        "", f"## bench_transport — {dt.date.today().isoformat()}", "",
        f"Machine: AMD EPYC ({os.cpu_count()} cores here, AVX-512 + avx512_bf16), no GPU, shared with the browser and"
        f" other work (load average {load:.1f} at the end). Debian Chromium headless, fake camera; kernel OMP_NUM_THREADS=1.",
        f"Command: `{command}`", f"Model: resnet18 (random weights, seed 0), {args.layer} ({buffers['shape']}), live maps.", "",
        "| encoding | grid bytes on the wire | live fps | p50 latency |", "|---|---|---|---|",
        *[f"| {r['encoding']} | {r['grid_bytes']:,} | {r['fps']:.1f} | {r['latency_ms']:.0f} ms |" for r in rows],
        f"| **base64 / buffers** | **{base64['grid_bytes'] / buffers['grid_bytes']:.2f}×** | **{base64['fps'] / buffers['fps']:.2f}×** "
        f"| **{base64['latency_ms'] / max(buffers['latency_ms'], 1):.2f}×** |", "",
    ]
    with open(RESULTS, "a") as out:
        out.write("\n".join(lines))
    print(f"appended to {RESULTS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layer", default="layer3")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--no-record", action="store_true", help="do not append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    subprocess.run(["node", "build.mjs"], cwd=REPO, check=True, capture_output=True, timeout=120)
    with sync_playwright() as p:
        rows = [one(p, encoding, args) for encoding in ("buffers", "base64")]
    for r in rows:
        print(r)
    if not args.no_record:
        record(args, rows, " ".join(["python benchmarks/bench_transport.py", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
