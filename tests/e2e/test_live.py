"""Live webcam mode in a real JupyterLab and Chromium with its fake camera (a moving test pattern).

One notebook (one kernel) serves the file; the tests run in order and each stops the camera
it started. Frame rates are measured in benchmarks/bench_live.py, not asserted here: these
tests only need frames to flow on a loaded two-core machine. The first test writes
docs/img/live.png; the last ones close the widget and restart the kernel.
"""

from __future__ import annotations

import ast
import re
import time

import pytest
from playwright.sync_api import expect

from tests.docs_pictures import picture_path

from .explorer_page import WIDGET_MS, shown_explorer, units

pytestmark = pytest.mark.e2e

SCREENSHOT = picture_path("live.png")  # docs/img/ only with CNNWIDGET_REFRESH_DOCS=1
UPDATE_S = 60_000  # ms: one kernel round trip
FLOW_MS = 10_000  # the bar: at least 5 frames within 10 s
QUIET_MS = 1_500  # observation window for "nothing more arrives"

CELLS = [
    "import torch, torchvision\nfrom cnnwidget import CNNExplorer\n\n"
    "torch.manual_seed(0)\n"
    "ex = CNNExplorer(torchvision.models.resnet18(), layer='layer3', auto_maximize=False)\nex",
    "print(ex.live_stats)",
    "print(repr(ex.image_name), ex.maximize_state.get('unit'), ex.maximize_state.get('status'), ex.live_mode)",
    "ex.maximize_options = {**ex.maximize_options, 'steps': 16, 'size': 64}\nex.auto_maximize = True",
    "ex.close()",
    "import numpy as np\nrng = np.random.default_rng(0)\n"
    "for _ in range(4):\n    ex.feed(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8))  # as from cv2.VideoCapture\n"
    "print(ex.live_stats['frames'])",
    "print(ex.live_options)",
    "ex.live_options = {**ex.live_options, 'capture': 'video', 'frame_format': 'jpeg'}",
    "ex.live_options = {**ex.live_options, 'capture': 'auto', 'frame_format': 'rgba'}",
]

FRAMES_JS = "() => +document.querySelector('[data-testid=live-stats]').dataset.frames"
GRID_HASH_JS = """() => {
  const c = document.querySelector('[data-testid=activation-grid] [data-testid=grid-canvas]');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let h = 0;
  for (let i = 0; i < d.length; i += 4) h = (Math.imul(h, 31) + d[i] + 7 * d[i + 1]) >>> 0;
  return h;
}"""
TRACKS_JS = """() => {
  const v = document.querySelector('[data-testid=live-view] video');
  return v && v.srcObject ? v.srcObject.getVideoTracks().map((t) => t.readyState) : [];
}"""
# Mean absolute RGB difference (0..255) between the live-view's dreamed frame and the input
# image (after a freeze: the very camera frame that dream was made from), both at 224 px.
DREAM_DIFF_JS = """async () => {
  const dream = document.querySelector('[data-testid=live-view] [data-testid=live-dream]');
  const photo = document.querySelector('[data-testid=input-image]');
  await photo.decode();
  const n = dream.width;
  const c = document.createElement('canvas'); c.width = c.height = n;
  c.getContext('2d').drawImage(photo, 0, 0, n, n);
  const a = dream.getContext('2d').getImageData(0, 0, n, n).data, b = c.getContext('2d').getImageData(0, 0, n, n).data;
  let sum = 0;
  for (let i = 0; i < a.length; i += 4) sum += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
  return [n, photo.naturalWidth, sum / (a.length / 4) / 3];
}"""

# Counts, over `ms`, how often JupyterLab shows its "kernel busy" favicon (it swaps the icon
# link on every busy/idle change of the kernel).
BUSY_ICONS_JS = """ms => new Promise((done) => {
  let busy = 0;
  const isBusy = (node) => node instanceof HTMLLinkElement && /busy/.test(node.href);
  const seen = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes' && isBusy(r.target)) busy++;
      for (const node of r.addedNodes) if (isBusy(node)) busy++;
    }
  });
  seen.observe(document.head, { childList: true, subtree: true, attributes: true, attributeFilter: ['href'] });
  setTimeout(() => { seen.disconnect(); done(busy); }, ms);
})"""


@pytest.fixture(scope="module")
def live(browser, open_notebook):
    """The notebook page with the explorer (resnet18, layer3) rendered, in a context allowed the camera."""
    with shown_explorer(browser, open_notebook, "live.ipynb", CELLS, permissions=["camera"]) as nb:
        yield nb


def frames(page) -> int:
    return page.evaluate(FRAMES_JS)


def wait_frames(page, at_least: int, timeout_ms: float = UPDATE_S) -> None:
    page.wait_for_function(f"n => ({FRAMES_JS})() >= n", arg=at_least, timeout=timeout_ms)


def start(page) -> int:
    """Press Start, wait for the first drawn frame; returns the time (monotonic s) it appeared."""
    page.get_by_test_id("webcam-start").click()
    expect(page.get_by_test_id("live-view")).to_have_attribute("data-camera", "live", timeout=UPDATE_S)
    wait_frames(page, 1)
    return time.monotonic()


def stop(page) -> None:
    page.get_by_test_id("webcam-stop").click()
    expect(page.get_by_test_id("live-view")).to_have_attribute("data-camera", "ended")


def kernel_stats(nb) -> dict:
    return ast.literal_eval(nb.run_and_read(1).strip().splitlines()[-1])


def assert_no_more_frames(page) -> None:
    before = frames(page)
    page.wait_for_timeout(QUIET_MS)  # the observation window: nothing may arrive in it
    assert frames(page) == before


def test_frames_flow_the_grid_follows_the_camera_and_stop_ends_the_track(live):
    page = live.page
    expect(page.get_by_test_id("live-view")).to_have_attribute("data-camera", "off")
    expect(page.get_by_test_id("webcam-stop")).to_be_disabled()
    units(page).nth(5).click()  # a unit of layer3: its map goes over the video, its top crops are kept
    expect(units(page).nth(5)).to_have_attribute("data-selected", "true")
    start(page)
    first = frames(page)
    wait_frames(page, first + 5, timeout_ms=FLOW_MS)

    hud = page.get_by_test_id("live-stats")
    expect(hud).to_have_text(re.compile(r"[\d.]+ fps · \d+ ms · \d+ frames"))
    assert float(hud.get_attribute("data-fps")) > 0 and float(hud.get_attribute("data-latency-ms")) > 0
    # The number format the kernel computed in (int8 once its copy is built, float while it builds).
    expect(hud).to_have_attribute("data-precision", re.compile(r"^(int8|float32|bfloat16)( \(int8 [a-z]+.*\))?$"))
    page.wait_for_function("() => { const e = document.querySelector('[data-testid=live-stats]');"
                           " return e.textContent.includes(' · ' + e.dataset.precision); }", timeout=UPDATE_S)

    # The grid is redrawn from each live answer, and it changes as the camera's picture moves.
    before = page.evaluate(GRID_HASH_JS)
    page.wait_for_function(f"h => ({GRID_HASH_JS})() !== h", arg=before, timeout=UPDATE_S)
    expect(units(page).first).to_have_attribute("data-layer", "layer3")

    crops = page.get_by_test_id("top-crops")
    expect(crops).to_be_visible(timeout=UPDATE_S)
    assert int(crops.get_attribute("data-count")) >= 1
    page.mouse.move(0, 0)
    page.set_viewport_size({"width": 1400, "height": 1400})
    widget = page.get_by_test_id("cnn-explorer")
    widget.evaluate("e => e.scrollIntoView({ block: 'start' })")
    top, panel = widget.bounding_box(), page.get_by_test_id("live-panel").bounding_box()
    # The widget from its top to the end of the live panel: grid, camera with the map, top crops.
    page.screenshot(path=str(SCREENSHOT), clip={"x": top["x"], "y": top["y"], "width": top["width"],
                                                "height": panel["y"] + panel["height"] - top["y"] + 4})
    page.set_viewport_size({"width": 1400, "height": 1000})
    assert SCREENSHOT.stat().st_size > 10_000

    stop(page)
    assert page.evaluate(TRACKS_JS) == ["ended"]
    shown = frames(page)
    assert_no_more_frames(page)
    stats = kernel_stats(live)
    assert stats["frames"] >= shown >= first + 5  # the kernel processed every frame drawn
    assert stats["latency_ms_p50"] > 0  # the browser reports its latency with each frame
    expect(page.get_by_test_id("webcam-start")).to_be_enabled()


def test_frames_come_from_the_camera_track_or_from_the_video_when_asked(live):
    """Chromium hands camera frames to the page as they are captured (data-grab="track"), sent
    as raw RGBA; live_options capture='video' takes them from the playing video instead, as in
    browsers without MediaStreamTrackProcessor, here sent as JPEG (frame_format='jpeg').
    Either way frames flow and the HUD tells where the latency goes."""
    page, view, hud = live.page, live.page.get_by_test_id("live-view"), live.page.get_by_test_id("live-stats")
    for cell, grab in ((None, "track"), (7, "video")):
        if cell is not None:
            live.run_and_read(cell)
        start(page)
        expect(view).to_have_attribute("data-grab", grab)
        n = frames(page)
        wait_frames(page, n + 5, timeout_ms=FLOW_MS)
        parts = {k: float(hud.get_attribute(f"data-{k}-ms")) for k in ("wait", "trip", "kernel", "draw")}
        assert all(v >= 0 for v in parts.values()) and parts["kernel"] > 0, parts
        assert "kernel" in hud.get_attribute("title")  # the tooltip spells the parts out
        stop(page)
    live.run_and_read(8)


def test_streaming_does_not_flash_the_kernel_busy_indicator(live):
    """Frames are handled without a "busy" status (cnnwidget/widget/live/quiet_frames.py); a cell run still shows it."""
    page = live.page
    start(page)
    first = frames(page)
    busy = page.evaluate(BUSY_ICONS_JS, 3_000)
    streamed = frames(page) - first
    stop(page)
    # Without quiet frames every frame shows busy once; with them none does. Up to 2 allow for
    # JupyterLab's own occasional requests to the kernel.
    assert streamed >= 6 and busy <= 2, f"{busy} busy indicators for {streamed} frames"
    # The check can see busy at all: running a cell shows it.
    page.evaluate(f"ms => {{ window.cnnxBusyIcons = ({BUSY_ICONS_JS})(ms); }}", 6_000)  # not awaited
    live.run_and_read(1)
    assert page.evaluate("() => window.cnnxBusyIcons") >= 1


def test_a_hidden_tab_pauses_the_stream(live):
    page = live.page
    start(page)
    page.evaluate("""() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }""")
    expect(page.get_by_test_id("live-panel")).to_have_attribute("data-state", "paused")
    page.wait_for_timeout(1_000)  # let a frame already in flight land
    assert_no_more_frames(page)
    paused_at = frames(page)
    page.evaluate("""() => {
      delete document.visibilityState;  // back to the prototype's getter: 'visible'
      document.dispatchEvent(new Event('visibilitychange'));
    }""")
    expect(page.get_by_test_id("live-panel")).to_have_attribute("data-state", "live")
    wait_frames(page, paused_at + 2)
    stop(page)


def test_live_dream_frames_differ_from_the_camera(live):
    page = live.page
    page.get_by_test_id("live-mode").select_option("dream")
    start(page)
    view = page.get_by_test_id("live-view")
    expect(view).to_have_attribute("data-mode", "dream", timeout=UPDATE_S)
    wait_frames(page, frames(page) + 3)
    assert live.run_and_read(2).strip().endswith("dream")
    # Freeze waits for the frame in flight to be drawn, so the frozen input image is the camera
    # frame whose dream the live view shows: compare the two.
    photo = page.get_by_test_id("input-image")
    before = photo.get_attribute("src")
    page.get_by_test_id("freeze").click()
    expect(view).to_have_attribute("data-camera", "ended")
    expect(photo).not_to_have_attribute("src", before, timeout=UPDATE_S)
    expect(page.get_by_test_id("image-name")).to_have_text("frozen frame")
    size, photo_size, diff = page.evaluate(DREAM_DIFF_JS)
    assert size == photo_size == 224
    assert diff > 8.0, f"the dream is too close to its camera frame: mean |difference| {diff:.1f} of 255"
    page.get_by_test_id("live-mode").select_option("maps")
    expect(page.get_by_test_id("live-mode")).to_have_value("maps")


def test_live_options_set_in_the_widget_reach_the_kernel(live):
    page = live.page
    steps, top_k = page.get_by_test_id("live-opt-dream_steps"), page.get_by_test_id("live-opt-top_k")
    expect(top_k).to_be_visible()
    expect(steps).to_be_hidden()  # dream controls show in dream mode only
    page.get_by_test_id("live-mode").select_option("dream")
    expect(steps).to_be_visible()
    expect(steps).to_have_value("2")
    steps.fill("99")
    steps.dispatch_event("change")
    expect(steps).to_have_value("50")  # clamped to what the kernel accepts
    steps.fill("3")
    steps.dispatch_event("change")
    top_k.fill("4")
    top_k.dispatch_event("change")
    options = ast.literal_eval(live.run_and_read(6).strip().splitlines()[-1])
    assert options["dream_steps"] == 3 and options["top_k"] == 4 and options["precision"] == "auto"
    page.get_by_test_id("live-mode").select_option("maps")
    expect(steps).to_be_hidden()


def test_freeze_then_clicking_a_unit_maximizes_it(live):
    page = live.page
    live.run_cell(3)  # auto_maximize on, a short run
    start(page)
    wait_frames(page, frames(page) + 2)
    page.get_by_test_id("freeze").click()
    expect(page.get_by_test_id("live-view")).to_have_attribute("data-camera", "ended")
    expect(page.get_by_test_id("image-name")).to_have_text("frozen frame", timeout=UPDATE_S)
    unit = units(page).nth(11)
    channel = int(unit.get_attribute("data-channel"))
    unit.click()
    expect(unit).to_have_attribute("data-selected", "true")
    picture = page.get_by_test_id("maximize-image")
    expect(picture).to_have_attribute("data-unit", re.compile(rf"layer3\D+{channel}\b"), timeout=UPDATE_S)
    expect(picture).to_have_attribute("data-status", re.compile("running|done"), timeout=UPDATE_S)
    deadline = time.monotonic() + UPDATE_S / 1000
    while True:
        out = live.run_and_read(2)
        if f"'frozen frame' ['layer3', {channel}]" in out or f"'frozen frame' ('layer3', {channel})" in out:
            break
        assert time.monotonic() < deadline, out
        page.wait_for_timeout(500)


def test_frames_fed_from_python_show_in_the_widget(live):
    page = live.page
    view = page.get_by_test_id("live-view")
    before, grid_before = frames(page), page.evaluate(GRID_HASH_JS)
    live.run_cell(5)  # ex.feed(...) four times
    expect(view).to_have_attribute("data-source", "python", timeout=UPDATE_S)
    wait_frames(page, before + 4)
    fed = page.get_by_test_id("live-fed")
    expect(fed).to_be_visible()
    assert fed.evaluate("img => img.decode().then(() => [img.naturalWidth, img.naturalHeight])") == [224, 224]
    assert page.evaluate(GRID_HASH_JS) != grid_before  # the grid shows the fed frames' activations
    expect(page.get_by_test_id("freeze")).to_be_enabled()


def test_closing_the_widget_turns_the_camera_off(live):
    page = live.page
    start(page)
    page.evaluate("() => { window.__liveTrack = document.querySelector('[data-testid=live-view] video').srcObject.getVideoTracks()[0]; }")
    live.run_cell(4)  # ex.close()
    page.wait_for_function("() => window.__liveTrack.readyState === 'ended'", timeout=UPDATE_S)


def test_a_kernel_restart_turns_the_camera_off(live):
    page = live.page
    live.run_cell(0, timeout_s=WIDGET_MS / 1000)  # a new explorer (the last test closed the old one)
    units(page).first.wait_for(timeout=WIDGET_MS)
    start(page)
    page.evaluate("() => { window.__liveTrack = document.querySelector('[data-testid=live-view] video').srcObject.getVideoTracks()[0]; }")
    page.get_by_role("menuitem", name="Kernel", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Restart Kernel…")).first.click()
    page.get_by_role("button", name="Confirm Kernel Restart").click()
    page.wait_for_function("() => window.__liveTrack.readyState === 'ended'", timeout=UPDATE_S)
    expect(page.get_by_test_id("error")).to_contain_text("kernel restarted: camera stopped")
    live.server.wait_kernel_idle(live.name)


def start_and_expect_error(browser, open_notebook, name: str, message: str, **context_options) -> None:
    """Open a small explorer in a new context of ``browser``, press Start, expect ``message``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, **context_options)
    try:
        nb = open_notebook(context, name, [
            "from torch import nn\nfrom cnnwidget import CNNExplorer\n"
            "CNNExplorer(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()))",
        ])
        nb.run_cell(0, timeout_s=WIDGET_MS / 1000)
        page = nb.page
        page.get_by_test_id("webcam-start").click()
        error = page.get_by_test_id("error")
        expect(error).to_be_visible(timeout=UPDATE_S)
        expect(error).to_contain_text(message)
        expect(page.get_by_test_id("live-view")).to_have_attribute("data-camera", "off")
        expect(page.get_by_test_id("live-panel")).to_have_attribute("data-state", "error")
        expect(page.get_by_test_id("webcam-start")).to_be_enabled()  # press Start again
        assert not nb.widget_errors, nb.widget_errors
    finally:
        context.close()


def test_permission_denied_shows_the_error(browser, open_notebook):
    # No permissions=["camera"]: Chromium refuses the camera (conftest launches it without the fake UI).
    start_and_expect_error(browser, open_notebook, "live_denied.ipynb",
                           "Camera permission denied: allow camera access for this page and press Start again")


def test_no_camera_shows_the_error(browser, open_notebook):
    # A second Chromium without the fake camera: this machine has no camera at all.
    from .conftest import CHROMIUM, CHROMIUM_ARGS

    args = [a for a in CHROMIUM_ARGS if "media-stream" not in a]
    bare = browser.browser_type.launch(executable_path=str(CHROMIUM), headless=True, args=args)
    try:
        start_and_expect_error(bare, open_notebook, "live_nocamera.ipynb", "No camera found", permissions=["camera"])
    finally:
        bare.close()
