"""Dataset examples in a real JupyterLab and Chromium (issue 14): a click shows the unit's top crops.

The kernel writes the planted folder of tests/dataset_examples/planted.py, indexes it with the
hand-set network, and opens the explorer on it with ``examples=``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .explorer_page import shown_explorer, unit

pytestmark = pytest.mark.e2e

SHOW_MS = 15_000  # one selection round trip on a loaded machine
JOB_MS = 120_000  # a default maximization of the tiny planted net, on a loaded machine

CELLS = [
    "from pathlib import Path\n"
    "from cnnwidget import CNNExplorer, dataset_examples\n"
    "from tests.dataset_examples.planted import PlantedNet, planted_folder\n"
    "truth = planted_folder(Path('planted-e2e'))\n"
    "index = dataset_examples(PlantedNet(), 'planted-e2e', ['edges', 'blur'], k=3, batch=4, shard=8, "
    "out='examples-e2e', progress=False, workers=1)\n"
    "ex = CNNExplorer(PlantedNet(), layer='edges', examples='examples-e2e')\n"
    "ex",
]


@pytest.fixture(scope="module")
def nb(browser, open_notebook):
    with shown_explorer(browser, open_notebook, "examples.ipynb", CELLS) as nb:
        yield nb


def test_click_shows_the_units_top_crops_with_rank_and_score(nb):
    page = nb.page
    panel = page.get_by_test_id("dataset-examples")
    expect(panel).to_be_hidden()
    unit(page, 0).click()  # the red unit
    expect(panel).to_be_visible(timeout=SHOW_MS)
    tiles = panel.get_by_test_id("unit-example")
    expect(tiles).to_have_count(3)
    ranks = [int(tiles.nth(i).get_attribute("data-rank")) for i in range(3)]
    scores = [float(tiles.nth(i).get_attribute("data-score")) for i in range(3)]
    assert ranks == [0, 1, 2]
    assert scores[0] == pytest.approx(1.0, abs=1e-5) and scores[1] == pytest.approx(1.0, abs=1e-5)
    assert scores[2] < 0.1  # the planted red pictures first, then far behind
    assert "red-" in tiles.nth(0).get_attribute("title")
    expect(page.get_by_test_id("dataset-examples-caption")).to_contain_text("edges #0: top 3 of your images")
    # Each crop is decoded by the browser and shows red at its centre.
    red = tiles.nth(0).locator("img").evaluate(
        "img => { const c = document.createElement('canvas'); c.width = img.naturalWidth; "
        "c.height = img.naturalHeight; const g = c.getContext('2d'); g.drawImage(img, 0, 0); "
        "return Array.from(g.getImageData(c.width >> 1, c.height >> 1, 1, 1).data); }")
    assert red[0] > 200 and red[1] < 80 and red[2] < 80, red


def test_hover_shows_the_whole_picture_with_the_box(nb):
    page = nb.page
    unit(page, 2).click()  # the vertical-edge unit
    tiles = page.get_by_test_id("dataset-examples").get_by_test_id("unit-example")
    expect(page.get_by_test_id("dataset-examples-caption")).to_contain_text("edges #2", timeout=SHOW_MS)
    # The click also starts the unit's maximization, whose streamed pictures can move the page;
    # hover once it has finished, as a user pointing at a still page.
    picture = page.get_by_test_id("maximize-image")
    expect(picture).to_have_attribute("data-unit", "edges:2", timeout=JOB_MS)
    expect(picture).to_have_attribute("data-status", "done", timeout=JOB_MS)
    whole = page.get_by_test_id("example-whole")
    expect(whole).to_be_hidden()
    tiles.nth(1).hover()
    expect(whole).to_be_visible()
    expect(whole).to_have_attribute("data-rank", "1")
    size = page.get_by_test_id("example-whole-image").evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert min(size) >= 64  # the whole picture, not the crop
    expect(page.get_by_test_id("example-map")).to_be_visible()
    page.mouse.move(0, 0)
    expect(whole).to_be_hidden()
