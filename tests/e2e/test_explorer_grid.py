"""CNNExplorer in a real JupyterLab and Chromium: the grid, the layer picker, selection, errors.

One notebook (one kernel) serves the whole file; each test leaves the widget usable for the
next and asserts relative to the state it finds. The last test takes the README picture explorer.png (into docs/img/ with CNNWIDGET_REFRESH_DOCS=1).
"""

from __future__ import annotations

import base64
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.docs_pictures import picture_path

from .explorer_page import shown_explorer, units

pytestmark = pytest.mark.e2e

SCREENSHOT = picture_path("explorer.png")  # docs/img/ only with CNNWIDGET_REFRESH_DOCS=1
UPDATE_S = 60_000  # ms: one kernel round trip (a new grid, an upload)

CELLS = [
    "import torch, torchvision\nfrom cnnwidget import CNNExplorer\n\n"
    "torch.manual_seed(0)  # the same random weights, so the same screenshot, every run\n"
    "ex = CNNExplorer(torchvision.models.resnet18())\nex",
    "print('selected:', ex.selected)",
    "print('layer:', ex.layer, '| normalization:', ex.normalization, '| error:', repr(ex.error))",
    "ex.layer = 'no_such_layer'",
]


@pytest.fixture(scope="module")
def channels() -> dict[str, int]:
    """Channel count of every resnet18 layer, from the engine (not from the page)."""
    import torchvision

    import cnnwidget

    return {info.name: info.shape[0] for info in cnnwidget.layers(torchvision.models.resnet18())}


@pytest.fixture(scope="module")
def explorer(browser, open_notebook):
    """The notebook page with the explorer rendered (its first cell run)."""
    with shown_explorer(browser, open_notebook, "explorer_grid.ipynb", CELLS, permissions=["camera"]) as nb:
        yield nb


def current_layer(page) -> str:
    return page.get_by_test_id("layer-select").input_value()


def test_grid_shows_one_unit_per_channel(explorer, channels):
    page = explorer.page
    layer = current_layer(page)
    assert layer in channels
    expect(units(page)).to_have_count(channels[layer])
    expect(units(page).first).to_have_attribute("data-layer", layer)
    expect(units(page).last).to_have_attribute("data-layer", layer)
    expect(page.get_by_test_id("input-image")).to_be_visible()
    expect(page.get_by_test_id("error")).to_be_hidden()


def test_choosing_another_layer_changes_unit_count(explorer, channels):
    page = explorer.page
    before = current_layer(page)
    target = next(name for name in ("layer4", "layer2", "conv1") if channels[name] != channels[before])
    page.get_by_test_id("layer-select").select_option(target)
    expect(units(page)).to_have_count(channels[target], timeout=UPDATE_S)
    expect(units(page).first).to_have_attribute("data-layer", target)
    assert f"layer: {target} |" in explorer.run_and_read(2)


def test_filter_narrows_layer_options(explorer):
    page = explorer.page
    options = page.get_by_test_id("layer-select").locator("option")
    total = options.count()
    page.get_by_test_id("layer-filter").fill("layer1.0")
    names = options.evaluate_all("os => os.map(o => o.value)")
    assert 1 < len(names) < total
    assert all(n.startswith("layer1.0") or n == current_layer(page) for n in names)
    page.get_by_test_id("layer-filter").fill("")
    expect(options).to_have_count(total)


def test_clicking_a_unit_selects_it(explorer):
    page = explorer.page
    layer = current_layer(page)
    unit = units(page).nth(7)
    channel = int(unit.get_attribute("data-channel"))
    unit.hover()
    expect(page.get_by_test_id("unit-tooltip")).to_contain_text(re.compile(rf"#{channel}\s+max .+ mean "))
    unit.click()
    expect(unit).to_have_attribute("data-selected", "true")
    expect(page.locator("[data-testid=unit][data-selected=true]")).to_have_count(1)
    expect(page.get_by_test_id("unit-title")).to_contain_text(f"{layer} #{channel}")
    assert f"selected: ('{layer}', {channel})" in explorer.run_and_read(1)


def test_per_layer_normalization_shows_the_scale(explorer):
    page = explorer.page
    scale = page.get_by_test_id("scale")
    page.get_by_test_id("normalization-select").select_option("layer")
    expect(scale).to_have_text(re.compile(r"scale: -?[\d.e+-]+ – -?[\d.e+-]+"))
    assert "normalization: layer" in explorer.run_and_read(2)
    page.get_by_test_id("normalization-select").select_option("channel")
    expect(scale).to_have_text("scale: per channel")


def test_bad_upload_shows_an_error(explorer, channels):
    page = explorer.page
    count = units(page).count()
    page.get_by_test_id("upload-input").set_input_files(
        files=[{"name": "not-a-photo.png", "mimeType": "image/png", "buffer": b"this is not an image"}]
    )
    error = page.get_by_test_id("error")
    expect(error).to_be_visible(timeout=UPDATE_S)
    expect(error).to_contain_text("'not-a-photo.png' is not a readable image")
    expect(units(page)).to_have_count(count)  # the previous grid stays
    error.get_by_role("button", name="Dismiss error").click()
    expect(error).to_be_hidden()
    assert "error: ''" in explorer.run_and_read(2)


def test_unknown_layer_from_the_kernel_shows_an_error(explorer):
    page = explorer.page
    before = current_layer(page)
    explorer.run_cell(3)
    error = page.get_by_test_id("error")
    expect(error).to_be_visible(timeout=UPDATE_S)
    expect(error).to_contain_text("unknown layer 'no_such_layer'")
    expect(page.get_by_test_id("layer-select")).to_have_value(before)
    error.get_by_role("button", name="Dismiss error").click()
    expect(error).to_be_hidden()


def test_choosing_a_sample_photo_changes_the_input(explorer):
    page = explorer.page
    image, name = page.get_by_test_id("input-image"), page.get_by_test_id("image-name")
    samples = [v for v in page.get_by_test_id("sample-select").locator("option").evaluate_all(
        "os => os.map(o => o.value)") if v]
    assert len(samples) >= 2, "the package ships sample photos"
    target = next(s for s in samples if s != name.inner_text())
    before = image.get_attribute("src")
    page.get_by_test_id("sample-select").select_option(target)
    expect(name).to_have_text(target, timeout=UPDATE_S)
    expect(image).not_to_have_attribute("src", before)
    expect(page.get_by_test_id("error")).to_be_hidden()


def test_dropping_an_image_file_uploads_it(explorer):
    page = explorer.page
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(picture, format="PNG")
    transfer = page.evaluate_handle(
        """b64 => {
          const t = new DataTransfer();
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          t.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
          return t;
        }""",
        base64.b64encode(picture.getvalue()).decode(),  # test scaffolding only; the wire carries raw bytes
    )
    drop = page.get_by_test_id("drop-zone")
    drop.dispatch_event("dragover", {"dataTransfer": transfer})
    expect(drop).to_have_class(re.compile("cnnx-dragging"))
    drop.dispatch_event("drop", {"dataTransfer": transfer})
    expect(page.get_by_test_id("image-name")).to_have_text("dropped.png", timeout=UPDATE_S)
    expect(drop).not_to_have_class(re.compile("cnnx-dragging"))
    expect(page.get_by_test_id("error")).to_be_hidden()


def test_screenshot(explorer, channels):
    """Write the README picture: the cat, layer2, tiles sorted by max, the strongest unit selected."""
    page = explorer.page
    page.get_by_test_id("sample-select").select_option("chelsea")
    expect(page.get_by_test_id("image-name")).to_have_text("chelsea", timeout=UPDATE_S)
    page.get_by_test_id("layer-select").select_option("layer2")
    expect(units(page)).to_have_count(channels["layer2"], timeout=UPDATE_S)
    page.get_by_test_id("sort-select").select_option("max")
    strongest = units(page).first
    strongest.click()
    expect(strongest).to_have_attribute("data-selected", "true")
    page.mouse.move(0, 0)
    page.get_by_test_id("cnn-explorer").screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000
