"""CNNExplorer in marimo's own server (``marimo run``, ``mo.ui.anywidget``) and Chromium: the grid,
a click with a finished maximization, and the camera with Chromium's fake device.

The app is written to a temp folder (small maximization options keep it quick on busy cores);
examples/marimo_explorer.py, the users' example, is checked by `marimo check --strict`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
START_S = 120
WIDGET_MS = 240_000
JOB_MS = 180_000
UPDATE_MS = 60_000

APP = '''
import marimo

__generated_with = "0.25.2"

app = marimo.App(width="full")


@app.cell
def _():
    import marimo as mo
    import torch
    import torchvision

    import cnnwidget

    torch.manual_seed(0)
    explorer = cnnwidget.CNNExplorer(torchvision.models.resnet18(), layer="layer2")
    explorer.maximize_options = {**explorer.maximize_options, "steps": 16, "size": 64}
    view = mo.ui.anywidget(explorer)
    view
    return explorer, mo, view


if __name__ == "__main__":
    app.run()
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def marimo_url(tmp_path_factory, frontend_bundle):
    """``python -m marimo run app.py --headless --no-token`` on a free port; stopped on exit."""
    folder = tmp_path_factory.mktemp("marimo")
    (folder / "app.py").write_text(APP)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
           "OMP_NUM_THREADS": "1"}
    log = folder / "marimo.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "marimo", "run", "app.py", "--port", str(port), "--host", "127.0.0.1",
             "--headless", "--no-token"],
            cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"marimo exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"marimo did not answer within {START_S} s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield url
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=10)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue


@pytest.fixture(scope="module")
def page(browser, marimo_url):
    context = browser.new_context(permissions=["camera"], viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(marimo_url)
    page.get_by_test_id("activation-grid").get_by_test_id("unit").first.wait_for(timeout=WIDGET_MS)
    yield page
    context.close()
    assert not [e for e in errors if "cnnx" in e or "cnnwidget" in e], errors


def test_the_grid_shows_one_unit_per_channel(page):
    units = page.get_by_test_id("activation-grid").get_by_test_id("unit")
    expect(units).to_have_count(128)  # layer2 of resnet18
    expect(units.first).to_have_attribute("data-layer", "layer2")
    expect(page.get_by_test_id("input-image")).to_have_js_property("naturalWidth", 224, timeout=UPDATE_MS)
    expect(page.get_by_test_id("cnn-explorer")).to_have_attribute("data-transport", "buffers")


def test_a_click_finishes_a_maximization(page):
    page.locator("[data-testid=activation-grid] [data-testid=unit][data-channel='9']").click()
    picture = page.get_by_test_id("maximize-image")
    expect(picture).to_have_attribute("data-unit", "layer2:9", timeout=JOB_MS)
    expect(picture).to_have_attribute("data-status", "done", timeout=JOB_MS)
    expect(picture).to_have_attribute("data-step", "16")
    assert picture.evaluate("img => img.decode().then(() => img.naturalWidth)") == 64


def test_the_camera_streams_live_maps(page):
    page.get_by_test_id("webcam-start").click()
    view = page.get_by_test_id("live-view")
    expect(view).to_have_attribute("data-camera", "live", timeout=UPDATE_MS)
    stats = page.get_by_test_id("live-stats")
    page.wait_for_function("el => +el.dataset.frames >= 3", arg=stats.element_handle(), timeout=UPDATE_MS)
    page.get_by_test_id("webcam-stop").click()
    expect(view).to_have_attribute("data-camera", "ended", timeout=UPDATE_MS)


def test_the_example_app_is_a_clean_marimo_notebook_with_the_same_call():
    example = REPO / "examples" / "marimo_explorer.py"
    assert "mo.ui.anywidget(explorer)" in example.read_text()
    check = subprocess.run([sys.executable, "-m", "marimo", "check", "--strict", str(example)],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr  # e.g. a name defined in two cells
