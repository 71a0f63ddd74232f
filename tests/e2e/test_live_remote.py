"""Live maps across a network: JupyterLab reached through a TCP proxy with a 50 ms round trip.

With one frame in flight the rate can never beat one frame per round trip: the next frame goes
only once the answer to the last one is back. The front end keeps several frames in flight
(js/framePump.ts), so it must. The round trip is the one each frame actually took, send to
answer (the HUD's data-rtt-ms): 50 ms of network plus the kernel and the browser, which on a
loaded machine add more than the network does, so "one per round trip" is measured, not taken
as 1000 / 50. The model is a small CNN, so that the network is a large part of the round trip.
"""

from __future__ import annotations

import statistics
import time

import pytest
from playwright.sync_api import expect

from .conftest import CHROMIUM, CHROMIUM_ARGS
from .delay_proxy import DelayProxy
from .explorer_page import WIDGET_MS, units

pytestmark = pytest.mark.e2e

RTT_MS = 50
CAMERA_FPS = 30  # Chromium's fake camera runs at 20 fps unless told, which one frame per round trip could match
MEASURE_S = 6
FRAMES_JS = "() => +document.querySelector('[data-testid=live-stats]').dataset.frames"
RTT_JS = "() => +document.querySelector('[data-testid=live-stats]').dataset.rttMs"

CELLS = [
    "import torch\nfrom torch import nn\nfrom cnnwidget import CNNExplorer\n\ntorch.manual_seed(0)\n"
    "net = nn.Sequential(nn.Conv2d(3, 8, 3, stride=4), nn.ReLU(), nn.Conv2d(8, 8, 3, stride=2), nn.ReLU(),\n"
    "                    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))\n"
    "ex = CNNExplorer(net, layer='2', auto_maximize=False)\nex",
    "print(ex.live_stats)",
]


@pytest.fixture
def remote_page(browser, jupyter_server):
    """The notebook with the explorer, opened through the delaying proxy in a 30 fps-camera Chromium."""
    args = [f"--use-fake-device-for-media-stream=fps={CAMERA_FPS}" if a == "--use-fake-device-for-media-stream" else a
            for a in CHROMIUM_ARGS]
    port = int(jupyter_server.url.rsplit(":", 1)[1])
    chromium = browser.browser_type.launch(executable_path=str(CHROMIUM), headless=True, args=args)
    with DelayProxy(port, RTT_MS) as proxy:
        try:
            context = chromium.new_context(permissions=["camera"], viewport={"width": 1400, "height": 1000})
            jupyter_server.write_notebook("remote.ipynb", CELLS)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.goto(proxy.url + "/lab/tree/remote.ipynb?reset")
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
            jupyter_server.wait_kernel_idle("remote.ipynb")
            cell = page.locator(".jp-Notebook .jp-Cell").first
            cell.locator(".jp-InputArea-editor").click()
            page.keyboard.press("Shift+Enter")
            units(page).first.wait_for(timeout=WIDGET_MS)
            yield page
        finally:
            chromium.close()


def test_over_a_50ms_round_trip_live_maps_beat_one_frame_per_round_trip(remote_page):
    page = remote_page
    units(page).nth(1).click()
    page.get_by_test_id("webcam-start").click()
    expect(page.get_by_test_id("live-view")).to_have_attribute("data-camera", "live", timeout=60_000)
    page.wait_for_function(f"() => ({FRAMES_JS})() >= 30", timeout=60_000)  # the window has grown by now
    before, t0 = page.evaluate(FRAMES_JS), time.monotonic()
    rtts = []
    while time.monotonic() - t0 < MEASURE_S:
        page.wait_for_timeout(200)
        rtts.append(page.evaluate(RTT_JS))
    after, t1 = page.evaluate(FRAMES_JS), time.monotonic()
    fps = (after - before) / (t1 - t0)
    rtt_ms = statistics.median(rtts)
    window = int(page.get_by_test_id("live-stats").get_attribute("data-window"))
    page.get_by_test_id("webcam-stop").click()
    expect(page.get_by_test_id("live-view")).to_have_attribute("data-camera", "ended")
    assert rtt_ms >= RTT_MS, f"the proxy's delay is in every round trip: {rtt_ms:.1f} ms"
    assert fps > 1000 / rtt_ms, f"{fps:.1f} fps, round trip p50 {rtt_ms:.1f} ms (window {window})"
    assert 2 <= window <= 4, f"frames in flight allowed: {window}"
