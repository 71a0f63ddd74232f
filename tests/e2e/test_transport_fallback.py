"""The base64 fallback (Colab's widget manager drops binary buffers) in a real JupyterLab and Chromium.

The page is told to lose buffers both ways as Colab does (``globalThis.cnnwidgetDropBuffers``,
docs/test-hooks.md): custom messages arrive without them, sends lose them, and Bytes traits that
came as buffers read as empty. The explorer must notice by itself, switch to base64 in the
message content, and keep working: grid, click, maximization, camera. Its cost is measured by
benchmarks/bench_transport.py, not here.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .explorer_page import shown_explorer, unit, units

pytestmark = pytest.mark.e2e

UPDATE_MS = 60_000
JOB_MS = 180_000
DROP_BUFFERS = "globalThis.cnnwidgetDropBuffers = true;"

CELLS = [
    "import torch, torchvision\nfrom cnnwidget import CNNExplorer\n\n"
    "torch.manual_seed(0)\n"
    "ex = CNNExplorer(torchvision.models.resnet18(), layer='layer2')\n"
    "ex.maximize_options = {**ex.maximize_options, 'steps': 16, 'size': 64}\nex",
    "print('TRANSPORT', ex.transport, ex.maximize_state.get('status'), ex.maximize_state.get('unit'))",
    "print('FRAMES', ex.live_stats['frames'])",
]


@pytest.fixture(scope="module")
def colab_like(browser, open_notebook):
    with shown_explorer(browser, open_notebook, "fallback.ipynb", CELLS, permissions=["camera"],
                        init_script=DROP_BUFFERS) as nb:
        yield nb


def test_switches_to_base64_and_shows_the_grid(colab_like):
    page = colab_like.page
    expect(page.get_by_test_id("cnn-explorer")).to_have_attribute("data-transport", "base64", timeout=UPDATE_MS)
    expect(units(page)).to_have_count(128, timeout=UPDATE_MS)  # layer2 of resnet18
    # The tiles are painted from the base64 grid: the canvas is not blank.
    painted = page.get_by_test_id("grid-canvas").evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0; return n; }")
    assert painted > 1000
    expect(page.get_by_test_id("input-image")).to_have_js_property("naturalWidth", 224, timeout=UPDATE_MS)
    assert "TRANSPORT base64" in colab_like.run_and_read(1)


def test_click_streams_and_finishes_a_maximization(colab_like):
    page = colab_like.page
    unit(page, 9).click()
    picture = page.get_by_test_id("maximize-image")
    expect(picture).to_have_attribute("data-unit", "layer2:9", timeout=JOB_MS)
    expect(picture).to_have_attribute("data-status", "done", timeout=JOB_MS)
    assert picture.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    assert "TRANSPORT base64 done ['layer2', 9]" in colab_like.run_and_read(1)


def test_camera_frames_go_base64_both_ways(colab_like):
    page = colab_like.page
    page.get_by_test_id("webcam-start").click()
    expect(page.get_by_test_id("live-view")).to_have_attribute("data-camera", "live", timeout=UPDATE_MS)
    page.wait_for_function(
        "() => +document.querySelector('[data-testid=live-stats]').dataset.frames >= 3", timeout=UPDATE_MS)
    page.get_by_test_id("webcam-stop").click()
    expect(page.get_by_test_id("live-view")).to_have_attribute("data-camera", "ended", timeout=UPDATE_MS)
    frames = int(colab_like.run_and_read(2).split("FRAMES")[1].split()[0])
    assert frames >= 3
