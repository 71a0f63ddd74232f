"""A vision transformer in a real JupyterLab and Chromium (issue 19): a DeiT block's token maps on the
patch grid, a maximized token unit, and the notice saying the maximization's pictures are resized to
the model's fixed 224 px input. Writes (with CNNWIDGET_REFRESH_DOCS=1) docs/img/vit-grid.png and
docs/img/vit-unit.png for the README's "Transformers" section.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.docs_pictures import picture_path

from .explorer_page import shown_explorer, unit, units
from .maximize_helpers import JOB_MS

pytestmark = pytest.mark.e2e


CELLS = [
    "import timm, torch\n"
    "from cnnwidget import CNNExplorer\n"
    "torch.manual_seed(0)\n"
    'vit = timm.create_model("deit_tiny_patch16_224", pretrained=False).eval()\n'
    "ex = CNNExplorer(vit)\n"
    'ex.maximize_options = {**ex.maximize_options, "steps": 48, "size": 128}\n'
    "ex",  # 0
    'print("NOTES", ex.input_notes, "STATE", ex.maximize_state.get("status"), repr(ex.error))',  # 1
]


def test_a_deit_block_shows_its_token_maps_and_a_maximized_unit_with_the_resize_notice(browser, open_notebook):
    with shown_explorer(browser, open_notebook, "transformers.ipynb", CELLS) as nb:
        page = nb.page
        expect(units(page)).to_have_count(192)  # the channels of blocks.6, the middle of 12 blocks
        expect(page.get_by_test_id("layer-select")).to_have_value("blocks.6")
        note = page.get_by_test_id("input-note")
        expect(note).to_be_hidden()  # the photo is cropped to 224 px: it goes in as it is
        page.get_by_test_id("activation-grid").screenshot(path=str(picture_path("vit-grid.png")))

        unit(page, 5).click()
        picture = page.get_by_test_id("maximize-image")
        expect(picture).to_have_attribute("data-unit", "blocks.6:5", timeout=JOB_MS)
        expect(picture).to_have_attribute("data-status", "done", timeout=JOB_MS)
        expect(note).to_be_visible()
        expect(note).to_contain_text("takes only 224x224 inputs")
        expect(note).to_contain_text("pictures of 128x128 are resized to 224x224")
        expect(note).to_have_attribute("data-count", "1")
        kernel = nb.run_and_read(1)
        assert "takes only 224x224" in kernel and "STATE done ''" in kernel
        page.get_by_test_id("maximize-panel").screenshot(path=str(picture_path("vit-unit.png")))
