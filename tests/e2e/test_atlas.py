"""Atlas pictures in a real JupyterLab and Chromium (issue 8): hover previews, click shows at once.

The kernel makes a four-unit atlas of the default model's random-weight twin, then opens
the explorer on it. Pictures are compared pixel for pixel: the browser decodes the <img> it
shows and hashes its RGB bytes; the test hashes the atlas PNG on disk. The last test opens
the atlas's index.html straight from the file system (no server).
"""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from .explorer_page import shown_explorer, unit
from .maximize_helpers import JOB_MS, PICTURE_SHA_JS

pytestmark = pytest.mark.e2e

LAYER = "stage2"
IN_ATLAS = [0, 1, 2, 3]
SIZE = 48
AT_ONCE_MS = 10_000  # no maximization runs: one kernel round trip on a loaded machine

CELLS = [
    "from cnnwidget import CNNExplorer, build_atlas as atlas\n"
    "from cnnwidget.atlas.source import ModelSource\n"
    "model = ModelSource.of('default', None).build()\n"
    f"result = atlas(model, [{LAYER!r}], 'atlas-e2e', units='0:4', steps=4, size={SIZE}, progress=False)\n"
    f"ex = CNNExplorer(model, layer={LAYER!r}, atlas='atlas-e2e')\n"
    "ex.maximize_options = {**ex.maximize_options, 'steps': 8, 'size': 48}\n"
    "ex",
    "s = ex.maximize_state\nprint('STATE', s.get('unit'), s.get('status'), s.get('source'), s.get('step'))",
    # Drop the atlas from a thread once the test creates the file `drop-atlas`: the mouse stays on the unit.
    "import pathlib, threading, time\n"
    "def drop_when_asked():\n"
    "    while not pathlib.Path('drop-atlas').exists():\n"
    "        time.sleep(0.05)\n"
    "    ex.use_atlas(None)\n"
    "threading.Thread(target=drop_when_asked, daemon=True).start()",
]


@pytest.fixture(scope="module")
def nb(browser, open_notebook):
    with shown_explorer(browser, open_notebook, "atlas.ipynb", CELLS) as nb:
        yield nb


def atlas_sha(nb, channel: int) -> str:
    path = nb.server.root / "atlas-e2e" / LAYER / f"{channel}.png"
    rgb = np.ascontiguousarray(np.asarray(Image.open(path).convert("RGB")))
    return hashlib.sha256(rgb.tobytes()).hexdigest()


def test_hover_shows_the_atlas_picture(nb):
    page = nb.page
    preview = page.get_by_test_id("atlas-preview")
    unit(page, 2).hover()
    expect(preview).to_be_visible(timeout=AT_ONCE_MS)
    expect(preview).to_have_attribute("data-status", "shown", timeout=AT_ONCE_MS)
    expect(preview).to_have_attribute("data-channel", "2")
    expect(page.get_by_test_id("atlas-preview-caption")).to_contain_text(f"{LAYER} #2 ·")
    shown = page.get_by_test_id("atlas-preview-image").evaluate(PICTURE_SHA_JS)
    assert shown["size"] == [SIZE, SIZE]
    assert shown["sha"] == atlas_sha(nb, 2), "the preview differs from the atlas PNG"


def test_hover_elsewhere_hides_the_preview(nb):
    page = nb.page
    unit(page, 3).hover()
    expect(page.get_by_test_id("atlas-preview")).to_have_attribute("data-channel", "3", timeout=AT_ONCE_MS)
    unit(page, 20).hover()  # not in the atlas
    expect(page.get_by_test_id("atlas-preview")).to_be_hidden()
    page.mouse.move(0, 0)
    expect(page.get_by_test_id("atlas-preview")).to_be_hidden()


def test_click_on_an_atlas_unit_shows_its_picture_at_once(nb):
    page = nb.page
    picture = page.get_by_test_id("maximize-image")
    unit(page, 1).click()
    expect(picture).to_have_attribute("data-unit", f"{LAYER}:1", timeout=AT_ONCE_MS)
    expect(picture).to_have_attribute("data-status", "done", timeout=AT_ONCE_MS)
    assert picture.evaluate(PICTURE_SHA_JS)["sha"] == atlas_sha(nb, 1)
    assert f"STATE ['{LAYER}', 1] done atlas 4" in nb.run_and_read(1)


def test_click_on_a_unit_outside_the_atlas_maximizes_live(nb):
    page = nb.page
    picture = page.get_by_test_id("maximize-image")
    unit(page, 12).click()
    expect(picture).to_have_attribute("data-unit", f"{LAYER}:12", timeout=JOB_MS)
    expect(picture).to_have_attribute("data-status", "done", timeout=JOB_MS)
    assert f"STATE ['{LAYER}', 12] done None 8" in nb.run_and_read(1)


def test_the_preview_goes_when_the_atlas_does(nb):
    """use_atlas(None) while a preview shows hides it (the front end follows `atlas_units`)."""
    page = nb.page
    nb.run_cell(2)
    page.wait_for_timeout(1000)  # let the notebook settle: its scrolling hides a preview
    preview = page.get_by_test_id("atlas-preview")
    unit(page, 3).hover()
    unit(page, 2).hover()
    expect(preview).to_have_attribute("data-status", "shown", timeout=AT_ONCE_MS)
    expect(preview).to_be_visible()
    (nb.server.root / "drop-atlas").touch()  # the kernel drops the atlas; the mouse does not move
    expect(preview).to_be_hidden(timeout=AT_ONCE_MS)
    unit(page, 3).hover()
    unit(page, 2).hover()
    page.wait_for_timeout(500)
    expect(preview).to_be_hidden()


def test_index_page_opens_from_the_file_system(nb, browser):
    index = nb.server.root / "atlas-e2e" / "index.html"
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(index.as_uri())
        images = page.locator("img")
        expect(images).to_have_count(len(IN_ATLAS))
        sizes = images.evaluate_all(
            "imgs => Promise.all(imgs.map(i => i.decode().then(() => [i.naturalWidth, i.naturalHeight])))"
        )
        assert sizes == [[SIZE, SIZE]] * len(IN_ATLAS)
        expect(page.locator("figcaption").first).to_contain_text("#0")
    finally:
        context.close()


def test_index_page_shows_maco_masks_on_request(browser, tmp_path):
    """A maco atlas's page: the checkbox shows each picture through its mask (what the browser draws changes)."""
    from cnnwidget import build_atlas
    from cnnwidget.atlas.source import ModelSource

    model = ModelSource.of("default", None).build()
    build_atlas(model, [LAYER], tmp_path / "maco", units="0:2", steps=4, size=SIZE, param="maco", threads=1,
                progress=False)
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto((tmp_path / "maco" / "index.html").as_uri())
        figure = page.locator("figure[data-mask]").first
        expect(page.locator("figure[data-mask]")).to_have_count(2)
        page.locator("img").first.evaluate("i => i.decode()")
        plain = figure.locator("img").screenshot()
        assert figure.locator("img").evaluate("i => getComputedStyle(i).maskImage || getComputedStyle(i).webkitMaskImage") in ("none", "")
        page.get_by_test_id("show-masks").check()
        style = figure.locator("img").evaluate("i => getComputedStyle(i).maskImage || getComputedStyle(i).webkitMaskImage")
        assert ".mask.png" in style
        page.wait_for_timeout(200)
        masked = figure.locator("img").screenshot()
        a = np.asarray(Image.open(io.BytesIO(plain)).convert("RGB"), dtype=float)
        b = np.asarray(Image.open(io.BytesIO(masked)).convert("RGB"), dtype=float)
        assert a.shape == b.shape and np.abs(a - b).mean() > 2  # faded where the unit did not look
    finally:
        context.close()
