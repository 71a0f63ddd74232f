"""First run and returning run: from the README's demo command to the activation grid in Chromium.

Clones this repository into a temporary folder (a fresh checkout: no .venv, no node_modules, no
bundle), then twice: starts the README's demo command there, opens the URL it prints in headless
Chromium, runs the notebook's cells (Run ▸ Run All Cells) and stops the clock when the explorer's
first grid unit is visible. The first run includes the whole install; the second finds everything
installed. Chromium must already be installed (``apt-get install chromium``).

Usage::

    .venv/bin/python benchmarks/bench_first_run.py            # appends the figures to RESULTS.md
    .venv/bin/python benchmarks/bench_first_run.py --no-record --source /path/to/checkout
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.e2e.demo_process import DemoProcess, free_port, newcomer_env, readme_demo_command, run_all_cells  # noqa: E402

RESULTS = REPO / "benchmarks" / "RESULTS.md"


def time_to_grid(checkout: Path, jupyter_home: Path, browser) -> dict:
    """Seconds from starting the demo command to its URL, and to the first visible grid unit."""
    demo = DemoProcess(readme_demo_command(checkout), checkout, newcomer_env(jupyter_home, free_port()))
    try:
        url = demo.wait_for_url(1800)
        to_url = time.monotonic() - demo.started
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(url)
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
        run_all_cells(page)
        page.locator("[data-testid=activation-grid] [data-testid=unit]").first.wait_for(timeout=600_000)
        to_grid = time.monotonic() - demo.started
        context.close()
    finally:
        demo.stop()
    return {"url_s": round(to_url, 1), "grid_s": round(to_grid, 1), "lines": len(demo.lines)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default=str(REPO), help="checkout to clone (default: this one, its HEAD)")
    parser.add_argument("--no-record", action="store_true", help="print only, do not append to RESULTS.md")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="cnnwidget-first-run-") as tmp:
        checkout = Path(tmp) / "fresh"
        subprocess.run(["git", "clone", "-q", args.source, str(checkout)], check=True)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout, capture_output=True, text=True).stdout.strip()
        load = os.getloadavg()[0]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            first = time_to_grid(checkout, Path(tmp) / "jupyter1", browser)
            second = time_to_grid(checkout, Path(tmp) / "jupyter2", browser)
            browser.close()
    import torch

    cpu = torch.backends.cpu.get_cpu_capability()
    lines = [
        f"### First run ({dt.date.today()}, commit {commit})",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, torch CPU capability {cpu}, "
        f"load average {load:.1f} at start. Command: `.venv/bin/python benchmarks/bench_first_run.py`.",
        "",
        "| run | demo command → URL printed | → grid visible in Chromium |",
        "|---|---|---|",
        f"| fresh clone (venv, npm, bundle, all packages) | {first['url_s']} s | {first['grid_s']} s |",
        f"| second run (already installed) | {second['url_s']} s | {second['grid_s']} s |",
        "",
    ]
    print("\n".join(lines))
    if not args.no_record:
        with open(RESULTS, "a") as out:
            out.write("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
