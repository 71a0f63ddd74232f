"""Click-to-maximize, DeepDream and attribution in a real JupyterLab and Chromium (issue 5).

One notebook (one kernel) serves the file; tests run in order and each leaves the widget
usable for the next (the last one closes it). Pictures are compared pixel for pixel: the
browser decodes the <img> it shows and hashes its RGB bytes, the kernel hashes ex.maximized
or ex.last_image. test_readme_sequence takes the README pictures maximize-*.png (into docs/img/ with CNNWIDGET_REFRESH_DOCS=1).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.docs_pictures import picture_folder

from .explorer_page import open_section, shown_explorer, unit
from .maximize_helpers import (
    JOB_MS, KERNEL_SETUP, PICTURE_SHA_JS, PRINT_MAXIMIZED, WATCH_JS,
    parse_maximized, seen, streamed,
)

pytestmark = pytest.mark.e2e

IMG = picture_folder()  # docs/img/ only with CNNWIDGET_REFRESH_DOCS=1
LAYER = "layer2"
FAST = {"steps": 32, "size": 64}

CELLS = [
    KERNEL_SETUP.format(layer=LAYER, options=FAST),  # 0
    PRINT_MAXIMIZED,  # 1
    "states.clear(); print('cleared')",  # 2
    'print("STORM", ex.maximize_state["unit"], ex.maximize_state["status"], "DONE", '
    'sorted({u for u, s in states if s == "done"}), "ERROR", repr(ex.error), "WORKERS", *no_workers())',  # 3
    "1+1",  # 4
    'print("CANCELLED", ex.maximize_state["status"], ex.maximize_state["step"], "WORKERS", *no_workers())',  # 5
    'job = ex.maximize(("layer2", 9)); print("SELECTED", ex.selected)',  # 6
    'print("NEURON", list(ex.neuron), ex.maximize_state["request"]["neuron"], ex.maximize_state["status"], '
    'ex.maximize_options["mode"])',  # 7
    'print("ATTRIBUTION", ex.show_attribution, ex.attribution_meta.get("unit"), len(ex.attribution))',  # 8
    "d = np.abs(np.asarray(ex.last_image, dtype=float) - np.asarray(ex.input_image, dtype=float)).mean()\n"
    'print("DREAM", ex.dream_state["status"], ex.dream_state["octave"], ex.dream_options["layers"], '
    'ex.dream_options["octaves"], ex.dream_options["steps"], round(d, 2), sha(ex.last_image))',  # 9
    'ex.maximize_options = {**ex.maximize_options, "steps": 96, "size": 128}',  # 10
    "start = time.monotonic(); ex.close(); took = time.monotonic() - start\n"
    'print("CLOSED", round(took, 3), "WORKERS", workers())',  # 11
    "from tests.model_state import assert_same_state, model_state\n"
    'snapshot = model_state(ex.model); print("SNAPSHOT", ex.model.training)',  # 12
    'ex.maximize(("layer2", 70), steps=4000).wait()',  # 13
    'assert_same_state(snapshot, model_state(ex.model)); print("RESTORED", ex.model.training, *no_workers())',  # 14
    # Kernel-side clocks (15-18): the bounds are measured where the product keeps them.
    "marks = {}\n"
    "ex.on_msg(lambda w, content, buffers: content.get('type') == 'cancel' and marks.setdefault('asked', time.monotonic()))\n"
    "ex.observe(lambda c: c.new.get('status') == 'cancelled' and 'asked' in marks and marks.setdefault('ended', time.monotonic()), 'maximize_state')\n"
    "print('CLOCKS READY')",  # 15
    'print("CANCEL_TOOK", round(marks["ended"] - marks["asked"], 3)); marks.clear()',  # 16
    # 17: how long the kernel's own event loop takes to run a callback, sampled every 50 ms from a thread
    "import asyncio\n"
    "kernel_loop = asyncio.get_running_loop()\n"
    "lags, probing = [], threading.Event()\n"
    "def probe():\n"
    "    while probing.is_set():\n"
    "        answered, asked = threading.Event(), time.monotonic()\n"
    "        kernel_loop.call_soon_threadsafe(answered.set)\n"
    "        answered.wait(60)\n"
    "        lags.append(time.monotonic() - asked)\n"
    "        time.sleep(0.05)\n"
    "probing.set(); threading.Thread(target=probe, daemon=True).start(); print('PROBING')",  # 17
    'probing.clear(); time.sleep(0.2); print("LAGS", len(lags), round(max(lags), 3), ex.maximize_state["status"])',  # 18
    "alpha = np.ascontiguousarray(np.asarray(ex.maximized.convert('RGBA'))[..., 3])\n"
    'print("MASKED", ex.maximize_state["request"]["param"], ex.maximize_state["status"], ex.maximized.mode, '
    'int(alpha.min()), int(alpha.max()), hashlib.sha256(alpha.tobytes()).hexdigest())',  # 19
]


@pytest.fixture(scope="module")
def nb(browser, open_notebook):
    with shown_explorer(browser, open_notebook, "maximize.ipynb", CELLS) as nb:
        assert "SNAPSHOT True" in nb.run_and_read(12)  # the model as given (train mode), before any job
        assert "CLOCKS READY" in nb.run_and_read(15)
        yield nb


def picture(page):
    return page.get_by_test_id("maximize-image")


def watch(page) -> None:
    picture(page).evaluate(WATCH_JS)


def shown_sha(page) -> dict:
    return picture(page).evaluate(PICTURE_SHA_JS)


def set_option(page, key: str, value: str) -> None:
    """Type into a numeric option and commit it (the change event writes maximize_options)."""
    open_section(page, "options")
    field = page.get_by_test_id(f"opt-{key}")
    field.fill(value)
    field.press("Enter")
    field.blur()


def wait_done(page, unit_key: str, timeout: float = JOB_MS) -> None:
    expect(picture(page)).to_have_attribute("data-unit", unit_key, timeout=timeout)
    expect(picture(page)).to_have_attribute("data-status", "done", timeout=timeout)


def test_click_streams_then_shows_exactly_ex_maximized(nb):
    page = nb.page
    watch(page)
    unit(page, 5).click()
    expect(unit(page, 5)).to_have_attribute("data-selected", "true")
    wait_done(page, f"{LAYER}:5")
    updates = streamed(seen(page), f"{LAYER}:5")
    assert len({u["step"] for u in updates}) >= 3, f"expected ≥3 streamed steps, saw {updates}"
    assert len({u["src"] for u in updates}) >= 3, "each streamed step shows a new picture"
    steps = [u["step"] for u in updates]
    assert steps == sorted(steps) and steps[-1] < FAST["steps"]
    expect(picture(page)).to_have_attribute("data-step", str(FAST["steps"]))
    expect(page.get_by_test_id("maximize-caption")).to_contain_text(f"{LAYER} #5 · step 32/32 · objective")
    expect(page.get_by_test_id("maximize-curve")).to_be_visible()
    expect(page.get_by_test_id("cancel")).to_be_disabled()
    browser_pic = shown_sha(page)
    kernel = parse_maximized(nb.run_and_read(1))
    assert kernel["unit"] == f"{LAYER}:5" and kernel["status"] == "done"
    assert browser_pic["size"] == kernel["size"] == [FAST["size"]] * 2
    assert browser_pic["sha"] == kernel["sha"], "the picture in the browser differs from ex.maximized"
    assert f"('{LAYER}', 5)" in kernel["text"], "on_select saw the click"
    download = page.get_by_test_id("maximize-download")
    expect(download).to_have_attribute("download", f"maximize-{LAYER}-5.png")
    expect(download).to_have_attribute("href", re.compile(r"^blob:"))


def test_click_storm_only_the_last_unit_finishes(nb):
    page = nb.page
    nb.run_cell(2)
    watch(page)
    channels = list(range(20, 30))
    unit(page, channels[0]).scroll_into_view_if_needed()
    boxes = [unit(page, c).bounding_box() for c in channels]
    page.get_by_test_id("activation-grid").evaluate(
        "g => { window.__clicks = []; g.addEventListener('click', () => window.__clicks.push(performance.now()), true); }"
    )
    for box in boxes:  # real mouse clicks, without Playwright's per-click checks, to be quick
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    clicks = page.evaluate("window.__clicks")
    assert len(clicks) == 10 and clicks[-1] - clicks[0] < 2000, f"ten clicks within 2 s: {clicks}"
    last = f"{LAYER}:{channels[-1]}"
    wait_done(page, last)
    records = seen(page)
    assert not [r for r in records if r["status"] == "done" and r["unit"] != last], records
    assert not [r for r in records if r["status"] == "error"]
    expect(page.get_by_test_id("error")).to_be_hidden()
    out = nb.run_and_read(3)
    assert f"STORM ['{LAYER}', {channels[-1]}] done DONE [('{LAYER}', {channels[-1]})] ERROR '' WORKERS []" in out, out


def test_cancel_stops_within_a_second(nb):
    page = nb.page
    set_option(page, "steps", "4000")
    watch(page)
    unit(page, 40).click()
    expect(picture(page)).to_have_attribute("data-unit", f"{LAYER}:40", timeout=JOB_MS)
    page.wait_for_function(
        "el => el.dataset.status === 'running' && Number(el.dataset.step) >= 2", arg=picture(page).element_handle(),
        timeout=JOB_MS,
    )
    cancel = page.get_by_test_id("cancel")
    expect(cancel).to_be_enabled()
    cancel.click()
    expect(picture(page)).to_have_attribute("data-status", "cancelled", timeout=JOB_MS)
    # Measured in the kernel: from the cancel message's arrival to the job's end.
    took = float(re.search(r"CANCEL_TOOK (-?[\d.]+)", nb.run_and_read(16))[1])
    print(f"kernel-side: job ended {took:.3f} s after the cancel message")
    assert took < 1.0, f"the job ended {took:.2f} s after the cancel message arrived"
    step = int(picture(page).get_attribute("data-step"))
    assert 2 <= step < 4000
    expect(page.get_by_test_id("maximize-caption")).to_contain_text(f"cancelled at step {step}/4000")
    out = nb.run_and_read(5)
    assert f"CANCELLED cancelled {step} WORKERS [] " in out, out


def test_kernel_answers_while_a_long_maximization_runs(nb):
    page = nb.page  # steps is still 4000 from the previous test: about two minutes of work
    assert "PROBING" in nb.run_and_read(17)
    unit(page, 41).click()
    page.wait_for_function(
        "el => el.dataset.unit === 'layer2:41' && el.dataset.status === 'running' && Number(el.dataset.step) >= 5",
        arg=picture(page).element_handle(), timeout=JOB_MS,
    )
    out = nb.run_and_read(4)
    assert out.strip() == "2"
    expect(picture(page)).to_have_attribute("data-status", "running")  # still at it
    # Measured in the kernel: the longest its event loop took to run a callback during the job.
    m = re.search(r"LAGS (\d+) ([\d.]+) running", nb.run_and_read(18))
    assert m, "the probe must have watched the job while it ran"
    assert int(m[1]) >= 5, "too few samples"
    print(f"kernel-side: longest event-loop lag {m[2]} s over {m[1]} samples during the job")
    assert float(m[2]) < 1.0, f"the kernel's event loop was blocked for {m[2]} s while maximizing"
    page.get_by_test_id("cancel").click()
    expect(picture(page)).to_have_attribute("data-status", "cancelled", timeout=5_000)
    set_option(page, "steps", str(FAST["steps"]))


def test_second_click_on_a_finished_unit_comes_from_the_cache(nb):
    page = nb.page
    expected = parse_maximized(nb.output_text(1))  # layer2:5, from the first test
    unit(page, 5).click()
    wait_done(page, f"{LAYER}:5")
    expect(picture(page)).to_have_attribute("data-job", "0")  # the kernel answered from its cache, no new job
    assert shown_sha(page)["sha"] == expected["sha"]


def test_maximize_from_python_is_reflected_in_the_page(nb):
    page = nb.page
    assert "SELECTED ('layer2', 9)" in nb.run_and_read(6)
    expect(unit(page, 9)).to_have_attribute("data-selected", "true")
    wait_done(page, f"{LAYER}:9")
    kernel = parse_maximized(nb.run_and_read(1))
    assert kernel["unit"] == f"{LAYER}:9" and shown_sha(page)["sha"] == kernel["sha"]


def test_neuron_mode_click_on_the_map_chooses_the_neuron(nb):
    page = nb.page
    expect(unit(page, 9)).to_have_attribute("data-selected", "true")
    open_section(page, "options")
    page.get_by_test_id("opt-mode").select_option("neuron")
    expect(page.get_by_test_id("opt-neuron")).to_contain_text(re.compile(r"neuron y \d+, x \d+"))
    before = picture(page).get_attribute("data-job")
    overlay = page.get_by_test_id("unit-detail").locator("canvas.cnnx-overlay")
    box = overlay.bounding_box()
    overlay.click(position={"x": box["width"] * 0.27, "y": box["height"] * 0.77})
    expect(page.get_by_test_id("opt-neuron")).to_contain_text("neuron y 21, x 7")  # layer2 maps are 28×28
    expect(picture(page)).not_to_have_attribute("data-job", before, timeout=JOB_MS)
    wait_done(page, f"{LAYER}:9")
    # [21, 7] of 28×28 at the input's 224 px is [6, 2] of the 8×8 map of a 64 px picture
    assert "NEURON [21, 7] [6, 2] done neuron" in nb.run_and_read(7)
    page.get_by_test_id("opt-mode").select_option("channel")
    expect(page.get_by_test_id("opt-neuron")).to_be_hidden()


def test_attribution_overlay_toggles(nb):
    page = nb.page
    toggle = page.get_by_test_id("attribution")
    overlay = page.get_by_test_id("attribution-overlay")
    expect(overlay).to_be_hidden()
    toggle.check()
    expect(overlay).to_have_attribute("data-unit", f"{LAYER}:9", timeout=JOB_MS)
    expect(overlay).to_be_visible()
    size, opaque = overlay.evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 100; return [[c.width, c.height], n]; }"
    )
    assert size == [224, 224] and 0 < opaque < 224 * 224, (size, opaque)
    assert f"ATTRIBUTION True ['{LAYER}', 9] {224 * 224}" in nb.run_and_read(8)
    toggle.uncheck()
    expect(overlay).to_be_hidden()


def test_dream_from_the_input_image_changes_the_picture(nb):
    page = nb.page
    open_section(page, "dream")
    page.get_by_test_id("dream-layers").select_option([LAYER])
    for key, value in {"octaves": "2", "steps": "3", "strength": "0.05"}.items():
        field = page.get_by_test_id(f"dream-{key}")
        field.fill(value)
        field.press("Enter")
    dream = page.get_by_test_id("dream-image")
    dream.evaluate(
        "el => { window.__octaves = []; new MutationObserver(() => window.__octaves.push(el.dataset.octave))"
        ".observe(el, { attributes: true, attributeFilter: ['data-octave'] }); }"
    )
    page.get_by_test_id("dream-start").click()
    expect(dream).to_have_attribute("data-status", "done", timeout=JOB_MS)
    expect(dream).to_have_attribute("data-octave", "2")
    assert "1" in page.evaluate("window.__octaves"), "the first octave was streamed before the end"
    out = nb.run_and_read(9)
    m = re.search(rf"DREAM done 2 \['{LAYER}'\] 2 3 ([\d.]+) ([0-9a-f]{{64}})", out)
    assert m, out
    assert float(m[1]) > 1.0, "the dream changed the picture"
    assert dream.evaluate(PICTURE_SHA_JS)["sha"] == m[2], "the dream in the browser differs from ex.last_image"
    with page.expect_download() as info:
        page.get_by_test_id("dream-download").click()
    saved = Image.open(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert saved.format == "PNG" and info.value.suggested_filename == f"dream-{LAYER}.png"
    assert saved.size == (224, 224)


def test_maco_with_its_mask_chosen_in_the_options(nb):
    """Choose "natural amplitudes (MACO)" and "transparency mask": the finished picture carries its mask."""
    page = nb.page
    page.get_by_test_id("opt-param").select_option("maco")
    page.get_by_test_id("opt-mask").check()
    unit(page, 12).click()
    wait_done(page, f"{LAYER}:12")
    out = nb.run_and_read(19)
    m = re.search(r"MASKED maco done RGBA (\d+) (\d+) ([0-9a-f]{64})", out)
    assert m, out
    assert int(m[2]) == 255 and int(m[1]) < 128, "opaque where the unit looked, see-through elsewhere"
    assert picture(page).evaluate(PICTURE_SHA_JS, [3])["sha"] == m[3], "the browser shows another mask than the kernel made"
    page.get_by_test_id("opt-mask").uncheck()
    page.get_by_test_id("opt-param").select_option("soft")  # back to the default


def test_readme_sequence(nb):
    """Screenshots of the maximize panel at increasing steps: maximize-1..4.png and a strip (README pictures)."""
    page = nb.page
    nb.run_cell(10)  # 96 steps at 128 px: long enough to catch four moments
    page.mouse.move(0, 0)
    panel = page.get_by_test_id("maximize-panel")
    unit(page, 33).click()
    handle = picture(page).element_handle()
    shots = []
    for least in (1, 16, 40):
        page.wait_for_function(
            "([el, n]) => el.dataset.unit === 'layer2:33' && !el.hasAttribute('data-stale') && Number(el.dataset.step) >= n",
            arg=[handle, least], timeout=JOB_MS,
        )
        shots.append(panel.screenshot())
    wait_done(page, f"{LAYER}:33")
    shots.append(panel.screenshot())
    frames = [Image.open(io.BytesIO(s)).convert("RGB") for s in shots]
    for i, frame in enumerate(frames, 1):
        frame.save(IMG / f"maximize-{i}.png", optimize=True)
    height = max(f.height for f in frames)
    strip = Image.new("RGB", (sum(f.width for f in frames) + 8 * (len(frames) - 1), height), "white")
    x = 0
    for frame in frames:
        strip.paste(frame, (x, 0))
        x += frame.width + 8
    strip.save(IMG / "maximize-sequence.png", optimize=True)
    assert len({f.tobytes() for f in frames}) == 4, "four different moments"


def test_kernel_interrupt_leaves_the_model_restored(nb):
    page = nb.page
    cell = nb.cell(13)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")  # blocks the kernel waiting for a 4000-step job
    page.wait_for_function(
        "el => el.dataset.unit === 'layer2:70' && el.dataset.status === 'running' && Number(el.dataset.step) >= 1",
        arg=picture(page).element_handle(), timeout=JOB_MS,
    )
    session = next(s for s in nb.server.api("/api/sessions") if s["path"] == nb.name)
    nb.server.api(f"/api/kernels/{session['kernel']['id']}/interrupt", method="POST")  # the toolbar's ■
    expect(cell.locator(".jp-OutputArea-output")).to_contain_text("KeyboardInterrupt", timeout=JOB_MS)
    expect(picture(page)).to_have_attribute("data-status", "running")  # the job runs on in its thread
    page.get_by_test_id("cancel").click()
    expect(picture(page)).to_have_attribute("data-status", "cancelled", timeout=5_000)
    assert "RESTORED True [] " in nb.run_and_read(14)


def test_closing_the_widget_mid_run_stops_its_worker(nb):
    page = nb.page
    set_option(page, "steps", "4000")
    unit(page, 60).click()
    page.wait_for_function(
        "el => el.dataset.unit === 'layer2:60' && el.dataset.status === 'running' && Number(el.dataset.step) >= 1",
        arg=picture(page).element_handle(), timeout=JOB_MS,
    )
    out = nb.run_and_read(11)
    m = re.search(r"CLOSED ([\d.]+) WORKERS \[\]", out)
    assert m, out
    assert float(m[1]) < 1.0, f"close took {m[1]} s"
