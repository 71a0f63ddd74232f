"""Predictions and a class click in a real JupyterLab and Chromium (issue 18).

The default model classifies a generated picture of vertical stripes; the page must show the
kernel's top-5 rows (class and probability), follow a new picture, and a click on a row must
draw that class in the maximization panel. Writes (with CNNWIDGET_REFRESH_DOCS=1)
docs/img/predictions.png and
docs/img/class-picture.png (the class picture of "star").
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.docs_pictures import picture_path

from .explorer_page import shown_explorer
from .maximize_helpers import JOB_MS

pytestmark = pytest.mark.e2e


CELLS = [
    "import torch\n"
    "from cnnwidget import CNNExplorer, load_model\n"
    "from cnnwidget.data.synthetic import make_batch\n"
    "pictures, _ = make_batch(2, seed=3, labels=torch.tensor([7, 3]))\n"
    'ex = CNNExplorer(load_model("default"), image=pictures[0], layer="stage2")\n'
    'ex.maximize_options = {**ex.maximize_options, "steps": 64, "size": 128}\n'
    "ex",  # 0
    'print("ROWS", [(p.index, round(p.probability, 6)) for p in ex.predictions])',  # 1
    "ex.set_image(pictures[1])",  # 2
    'print("STATE", ex.maximize_state.get("unit"), ex.maximize_state.get("status"), repr(ex.error))',  # 3
]


def rows(page) -> list[tuple[int, float]]:
    found = page.get_by_test_id("predictions").get_by_test_id("prediction")
    return [(int(r.get_attribute("data-class")), float(r.get_attribute("data-prob"))) for r in found.all()]


def kernel_rows(nb) -> list[tuple[int, float]]:
    text = nb.run_and_read(1)
    return [(int(i), float(p)) for i, p in re.findall(r"\((\d+), ([0-9.e-]+)\)", text.split("ROWS", 1)[1])]


def test_predictions_show_the_kernel_top5_and_a_class_click_draws_the_class(browser, open_notebook):
    with shown_explorer(browser, open_notebook, "predictions.ipynb", CELLS) as nb:
        page = nb.page
        listing = page.get_by_test_id("predictions").get_by_test_id("prediction")
        expect(listing).to_have_count(5)
        expected = kernel_rows(nb)
        assert [i for i, _ in rows(page)] == [i for i, _ in expected] and expected[0][0] == 7
        for (_, shown), (_, kernel) in zip(rows(page), expected):
            assert abs(shown - kernel) < 1e-5
        expect(listing.first).to_contain_text("stripes_vertical")
        page.get_by_test_id("predictions").screenshot(path=str(picture_path("predictions.png")))

        nb.run_cell(2)  # a new picture: a star
        expect(listing.first).to_have_attribute("data-class", "3", timeout=30_000)
        expect(listing.first).to_contain_text("star")

        page.locator("[data-testid=prediction][data-class='3']").click()
        picture = page.get_by_test_id("maximize-image")
        expect(picture).to_have_attribute("data-unit", "logits:3", timeout=JOB_MS)
        expect(picture).to_have_attribute("data-status", "done", timeout=JOB_MS)
        assert "STATE ['logits', 3] done ''" in nb.run_and_read(3)
        picture.screenshot(path=str(picture_path("class-picture.png")))
