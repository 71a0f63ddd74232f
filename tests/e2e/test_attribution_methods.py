"""The attribution method picker, the class target and the first-layer filters in a real
JupyterLab and Chromium (issue 18).

Guided Backprop must be marked as failing the sanity check; each method, chosen in the page,
must come back from the kernel and be drawn over the picture. Writes (with
CNNWIDGET_REFRESH_DOCS=1) docs/img/attribution-methods.png (the four methods side by side, as the page showed them).
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.docs_pictures import picture_path

from .explorer_page import shown_explorer
from .maximize_helpers import JOB_MS

pytestmark = pytest.mark.e2e


CELLS = [
    "import torch\n"
    "from cnnwidget import CNNExplorer, load_model\n"
    "picture = torch.full((3, 128, 128), 0.5); picture[:, 20:60, 70:110] = torch.tensor([0.9, 0.2, 0.2])[:, None, None]\n"
    'ex = CNNExplorer(load_model("default"), image=picture, layer="stage2")\n'
    "ex.auto_maximize = False\n"
    "ex",  # 0
    'print("META", ex.attribution_meta.get("method"), ex.attribution_meta.get("class"), '
    'ex.attribution_state.get("status"), repr(ex.error))',  # 1
]

METHODS = ["gradcam", "integrated_gradients", "guided_backprop", "occlusion"]


def test_method_picker_marks_guided_backprop_and_draws_every_method(browser, open_notebook):
    with shown_explorer(browser, open_notebook, "attribution_methods.ipynb", CELLS) as nb:
        page = nb.page
        picker = page.get_by_test_id("attribution-method")
        options = picker.locator("option")
        expect(options).to_have_count(4)
        marked = {o.get_attribute("value"): (o.get_attribute("data-sane"), o.inner_text()) for o in options.all()}
        assert marked["guided_backprop"][0] == "false" and "fails the sanity check" in marked["guided_backprop"][1]
        assert all(marked[m][0] == "true" and "fails" not in marked[m][1] for m in METHODS if m != "guided_backprop")

        page.get_by_test_id("attribution").check()
        page.get_by_test_id("attribution-target").select_option("1")  # class "square"
        overlay = page.get_by_test_id("attribution-overlay")
        frame = overlay.locator("xpath=..")
        shots = []
        for method in METHODS:
            picker.select_option(method)
            expect(overlay).to_have_attribute("data-class", "1", timeout=JOB_MS)
            expect(overlay).not_to_have_attribute("data-stale", "", timeout=JOB_MS)
            expect(page.get_by_test_id("attribution-caption")).to_contain_text("of class 1", timeout=JOB_MS)
            assert f"META {method} 1" in nb.run_and_read(1)
            opaque = overlay.evaluate(
                "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                " let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 100; return n; }"
            )
            assert 0 < opaque < 128 * 128, (method, opaque)
            shots.append(Image.open(io.BytesIO(frame.screenshot())).convert("RGB"))
        width = sum(s.width for s in shots) + 6 * (len(shots) - 1)
        sheet = Image.new("RGB", (width, max(s.height for s in shots)), "white")
        x = 0
        for shot in shots:
            sheet.paste(shot, (x, 0))
            x += shot.width + 6
        sheet.save(picture_path("attribution-methods.png"))


def test_a_first_layer_filter_click_selects_its_unit(browser, open_notebook):
    with shown_explorer(browser, open_notebook, "filters.ipynb", CELLS[:1] + ['print("SELECTED", ex.selected)']) as nb:
        page = nb.page
        page.locator("summary", has_text="First-layer filters").click()
        tiles = page.get_by_test_id("filters").get_by_test_id("filter")
        expect(tiles).to_have_count(32)
        tiles.nth(5).click()
        expect(page.get_by_test_id("unit-title")).to_contain_text("stem.conv", timeout=JOB_MS)
        assert "SELECTED ('stem.conv', 5)" in nb.run_and_read(1)
