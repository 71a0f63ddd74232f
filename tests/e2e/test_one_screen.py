"""The explorer on one screen (issue 15), in a real JupyterLab and Chromium at 1400 × 900:
its height, the maximization in view right after a click, the layout at a narrow width, large
layers scrolling inside the grid's box, the keys, Tab order, and the light and dark themes.

One notebook (one kernel) serves the light-theme tests; the dark-theme test opens a second page
after switching JupyterLab's theme setting. With ``CNNWIDGET_REFRESH_DOCS=1`` the theme tests
rewrite docs/img/explorer-light.png and explorer-dark.png; otherwise they write to a temp folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.docs_pictures import picture_folder

from .explorer_page import shown_explorer, unit, units

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 1400, 900
MAX_HEIGHT = 850
UPDATE_MS = 60_000
JOB_MS = 180_000
THEMES = "@jupyterlab/apputils-extension/themes.jupyterlab-settings"

CELLS = [
    "import torch, torchvision\nfrom cnnwidget import CNNExplorer\n\n"
    "torch.manual_seed(0)\nex = CNNExplorer(torchvision.models.resnet18())\nex",
    "print('selected:', ex.selected, '| layer:', ex.layer)",
    # Small pictures keep each step short on busy cores; 400 steps leave time for Esc to cancel.
    "ex.maximize_options = {**ex.maximize_options, 'steps': 400, 'size': 64}",
    "print('STATE', ex.selected, {k: ex.maximize_state.get(k) for k in ('status', 'unit', 'step', 'job')})",
]


def picture_dir(tmp_path_factory) -> Path:
    """docs/img when asked to refresh the README's pictures, else a temp folder (tests/docs_pictures.py)."""
    return picture_folder()


@pytest.fixture(scope="module")
def nb(browser, open_notebook):
    with shown_explorer(browser, open_notebook, "one_screen.ipynb", CELLS, permissions=["camera"],
                        viewport=(WIDTH, HEIGHT)) as page:
        page.run_cell(2)
        yield page


def box(page, testid: str) -> dict:
    return page.get_by_test_id(testid).first.bounding_box()


def selected(page) -> list[int]:
    return [int(c) for c in page.locator("[data-testid=unit][data-selected=true]").evaluate_all(
        "us => us.map(u => u.dataset.channel)")]


def luminance(css_colour: str) -> float:
    """Relative luminance 0..1 of an ``rgb(...)``/``rgba(...)`` computed colour."""
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css_colour)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def colours(page) -> dict:
    """The widget's own computed background and text colour, and JupyterLab's layout colour."""
    return page.get_by_test_id("cnn-explorer").evaluate(
        "el => ({bg: getComputedStyle(el).backgroundColor, fg: getComputedStyle(el).color,"
        " lab: getComputedStyle(document.body).getPropertyValue('--jp-layout-color1').trim(),"
        " grid: getComputedStyle(el.querySelector('[data-testid=activation-grid]')).backgroundColor,"
        " section: getComputedStyle(el.querySelector('.cnnx-summary')).backgroundColor})")


def show_a_maximization(page) -> None:
    """Click unit #3 and wait until its maximization has shown 10 steps; the pointer leaves the grid."""
    units(page).nth(3).click()
    picture = page.get_by_test_id("maximize-image")
    expect(picture).to_have_attribute("data-unit", re.compile(r":3$"), timeout=UPDATE_MS)
    expect(picture).to_have_attribute("data-step", re.compile(r"[1-9]\d+"), timeout=JOB_MS)  # ≥ 10 steps shown
    page.mouse.move(0, 0)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")


def test_default_explorer_fits_1400_by_900(nb):
    page = nb.page
    widget = box(page, "cnn-explorer")
    assert widget["height"] <= MAX_HEIGHT, f"the explorer is {widget['height']:.0f} px tall at {WIDTH}×{HEIGHT}"
    assert widget["x"] + widget["width"] <= WIDTH
    # Wide: the stage (picture, unit's map, maximization) sits beside the grid, not under it.
    grid, detail, maxim = box(page, "activation-grid"), box(page, "unit-detail"), box(page, "maximize-image")
    assert detail["x"] >= grid["x"] + grid["width"] and maxim["x"] >= grid["x"] + grid["width"]
    assert maxim["y"] < grid["y"] + grid["height"]


def test_maximization_is_in_view_right_after_a_click(nb):
    page = nb.page
    page.get_by_test_id("cnn-explorer").evaluate("el => el.scrollIntoView({block: 'start'})")
    target = units(page).nth(5)
    expect(target).to_be_in_viewport()
    channel = int(target.get_attribute("data-channel"))
    target.click()
    picture = page.get_by_test_id("maximize-image")
    expect(picture).to_have_attribute("data-status", re.compile("running|done"), timeout=UPDATE_MS)
    for testid in ("maximize-image", "unit-detail"):
        b = box(page, testid)
        assert b["y"] >= 0 and b["y"] + b["height"] <= HEIGHT and b["x"] + b["width"] <= WIDTH, (testid, b)
    expect(picture).to_have_attribute("data-unit", re.compile(rf":{channel}$"), timeout=JOB_MS)


def test_arrows_move_by_tile_and_by_row_as_drawn(nb):
    page = nb.page
    units(page).first.click()
    grid = page.get_by_test_id("activation-grid")
    expect(grid).to_be_focused()
    # The drawn order and the tiles per row, read from the page's geometry.
    order, tops = units(page).evaluate_all(
        "us => [us.map(u => +u.dataset.channel), us.map(u => Math.round(u.getBoundingClientRect().top))]")
    per_row = tops.count(tops[0])
    assert 1 < per_row < len(order)
    expect(units(page).first).to_have_attribute("data-selected", "true")
    page.keyboard.press("ArrowRight")
    expect(unit(page, order[1])).to_have_attribute("data-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(unit(page, order[1 + per_row])).to_have_attribute("data-selected", "true")
    page.keyboard.press("ArrowLeft")
    expect(unit(page, order[per_row])).to_have_attribute("data-selected", "true")
    page.keyboard.press("ArrowUp")
    expect(unit(page, order[0])).to_have_attribute("data-selected", "true")
    assert selected(page) == [order[0]]
    assert f"selected: ('{units(page).first.get_attribute('data-layer')}', {order[0]})" in nb.run_and_read(1)


def test_enter_maximizes_esc_cancels_then_clears(nb):
    page = nb.page
    picture = page.get_by_test_id("maximize-image")
    target = units(page).nth(2)
    key = f"{target.get_attribute('data-layer')}:{target.get_attribute('data-channel')}"
    target.click()
    expect(picture).to_have_attribute("data-unit", key, timeout=UPDATE_MS)
    expect(picture).to_have_attribute("data-status", "running", timeout=UPDATE_MS)
    grid = page.get_by_test_id("activation-grid")
    expect(grid).to_be_focused()
    page.keyboard.press("Escape")  # first: cancel the job, keep the selection
    expect(picture).to_have_attribute("data-status", "cancelled", timeout=UPDATE_MS)
    assert len(selected(page)) == 1
    job = int(picture.get_attribute("data-job"))
    page.keyboard.press("Enter")  # maximize again
    expect(picture).not_to_have_attribute("data-job", str(job), timeout=UPDATE_MS)
    expect(picture).to_have_attribute("data-status", "running", timeout=UPDATE_MS)
    page.keyboard.press("Escape")
    expect(picture).to_have_attribute("data-status", "cancelled", timeout=UPDATE_MS)
    page.keyboard.press("Escape")  # nothing runs: clear the selection
    expect(page.locator("[data-testid=unit][data-selected=true]")).to_have_count(0)
    assert "STATE () " in nb.run_and_read(3)


def test_brackets_change_layer(nb):
    page = nb.page
    select = page.get_by_test_id("layer-select")
    names = select.locator("option").evaluate_all("os => os.map(o => o.value)")
    start = select.input_value()
    page.get_by_test_id("activation-grid").focus()
    page.keyboard.press("]")
    after = names[names.index(start) + 1]
    expect(select).to_have_value(after, timeout=UPDATE_MS)
    expect(units(page).first).to_have_attribute("data-layer", after, timeout=UPDATE_MS)
    page.keyboard.press("[")
    expect(select).to_have_value(start, timeout=UPDATE_MS)
    expect(units(page).first).to_have_attribute("data-layer", start, timeout=UPDATE_MS)


def test_tab_reaches_every_panel_and_option(nb):
    page = nb.page
    units(page).first.click()  # a selected unit enables Maximize
    picture = page.get_by_test_id("maximize-image")
    expect(picture).to_have_attribute("data-unit", re.compile(rf":{units(page).first.get_attribute('data-channel')}$"),
                                       timeout=UPDATE_MS)
    expect(picture).to_have_attribute("data-status", "running", timeout=UPDATE_MS)
    page.keyboard.press("Escape")  # cancel the maximization the click started; the unit stays selected
    expect(picture).to_have_attribute("data-status", "cancelled", timeout=UPDATE_MS)
    expect(page.get_by_test_id("maximize-start")).to_be_enabled()
    page.get_by_test_id("layer-filter").focus()
    seen = []
    for _ in range(60):
        seen.append(page.evaluate(
            "() => { const a = document.activeElement; return a && a.closest('[data-testid=cnn-explorer]')"
            " ? (a.dataset.testid || a.closest('[data-testid]').dataset.testid) : null }"))
        # Every focused control has an accessible name and a visible focus ring.
        name, outline = page.evaluate(
            "() => { const a = document.activeElement; const label = a.getAttribute('aria-label') ||"
            " (a.labels && a.labels[0] && a.labels[0].textContent) || a.textContent || a.title;"
            " return [String(label || '').trim(), getComputedStyle(a).outlineStyle] }")
        if seen[-1] is not None:
            assert name, f"{seen[-1]} has no accessible name"
            assert outline != "none", f"{seen[-1]} shows no focus"
        page.keyboard.press("Tab")
    wanted = {"layer-filter", "layer-select", "normalization-select", "colormap-select", "sort-select", "keys-help",
              "activation-grid", "section-options-toggle", "section-dream-toggle", "sample-select", "upload-input",
              "webcam-start", "live-mode", "overlay-opacity", "maximize-start", "attribution"}
    assert wanted <= set(seen), f"never focused: {wanted - set(seen)}"


def test_keys_are_listed_in_the_help_tooltip(nb):
    page = nb.page
    tip = page.get_by_test_id("keys-help-text")
    expect(tip).to_be_hidden()
    page.get_by_test_id("keys-help").hover()
    expect(tip).to_be_visible()
    for key in ("Enter", "Esc", "[ ]", "↑ ↓"):
        expect(tip).to_contain_text(key)
    page.mouse.move(0, 0)


def test_large_layer_scrolls_inside_the_grid(nb):
    page = nb.page
    page.get_by_test_id("layer-select").select_option("layer4")
    expect(units(page)).to_have_count(512, timeout=UPDATE_MS)
    expect(units(page).first).to_have_attribute("data-layer", "layer4")
    scroll, client = page.get_by_test_id("activation-grid").evaluate("g => [g.scrollHeight, g.clientHeight]")
    assert scroll > client  # the grid scrolls in its own box...
    assert box(page, "cnn-explorer")["height"] <= MAX_HEIGHT  # ...so the explorer keeps its height


def test_narrow_notebook_stacks_the_stage_under_the_grid(nb):
    page = nb.page
    page.set_viewport_size({"width": 720, "height": HEIGHT})
    try:
        expect(page.get_by_test_id("unit-detail")).to_be_visible()
        page.wait_for_function(
            "() => { const g = document.querySelector('[data-testid=activation-grid]').getBoundingClientRect();"
            " const d = document.querySelector('[data-testid=unit-detail]').getBoundingClientRect();"
            " return d.top >= g.bottom }", timeout=10_000)
        widget = box(page, "cnn-explorer")
        assert widget["x"] + widget["width"] <= 720
    finally:
        page.set_viewport_size({"width": WIDTH, "height": HEIGHT})


def test_light_theme(nb, tmp_path_factory):
    page = nb.page
    c = colours(page)
    assert luminance(c["bg"]) > 0.8 and luminance(c["fg"]) < 0.3, c
    assert luminance(c["grid"]) > 0.7 and luminance(c["section"]) > 0.7, c
    # The picture for the README: layer3, a unit selected and its maximization under way.
    page.get_by_test_id("layer-select").select_option("layer3")
    expect(units(page).first).to_have_attribute("data-layer", "layer3", timeout=UPDATE_MS)
    show_a_maximization(page)
    page.get_by_test_id("cnn-explorer").screenshot(path=str(picture_dir(tmp_path_factory) / "explorer-light.png"))


def test_dark_theme(browser, open_notebook, jupyter_server, tmp_path_factory):
    settings = jupyter_server.root.parent / "home" / "settings" / THEMES
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"theme": "JupyterLab Dark"}))
    try:
        with shown_explorer(browser, open_notebook, "one_screen_dark.ipynb", CELLS,
                            viewport=(WIDTH, HEIGHT)) as dark:
            page = dark.page
            dark.run_cell(2)
            expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
            c = colours(page)
            assert luminance(c["bg"]) < 0.25 and luminance(c["fg"]) > 0.6, c
            assert luminance(c["grid"]) < 0.3 and luminance(c["section"]) < 0.3, c
            assert box(page, "cnn-explorer")["height"] <= MAX_HEIGHT
            show_a_maximization(page)
            page.get_by_test_id("cnn-explorer").screenshot(path=str(picture_dir(tmp_path_factory) / "explorer-dark.png"))
    finally:
        settings.unlink()


CHANNELS_CELLS = [
    "import torch\nfrom torch import nn\nfrom cnnwidget import CNNExplorer\n\ntorch.manual_seed(0)\n"
    "ex = CNNExplorer(nn.Sequential(nn.Conv2d(3, 3, 3, stride=4, padding=1), nn.ReLU(),\n"
    "                               nn.Conv2d(3, 2048, 1, stride=2), nn.ReLU()), layer='0')\nex",
]


@pytest.mark.parametrize("layer, channels", [("0", 3), ("2", 2048)])
def test_three_to_2048_channels_keep_one_screen(browser, open_notebook, layer, channels):
    with shown_explorer(browser, open_notebook, f"channels_{layer}.ipynb", CHANNELS_CELLS,
                        viewport=(WIDTH, HEIGHT)) as small:
        page = small.page
        if layer != "0":
            page.get_by_test_id("layer-select").select_option(layer)
        expect(units(page)).to_have_count(channels, timeout=UPDATE_MS)
        expect(units(page).last).to_have_attribute("data-layer", layer, timeout=UPDATE_MS)
        assert box(page, "cnn-explorer")["height"] <= MAX_HEIGHT
        grid = page.get_by_test_id("activation-grid")
        scroll, client = grid.evaluate("g => [g.scrollHeight, g.clientHeight]")
        assert (scroll > client) == (channels > 256), (scroll, client)  # only a large layer scrolls
        # End selects the last tile and scrolls it into view inside the grid.
        grid.focus()
        page.keyboard.press("End")
        expect(units(page).last).to_have_attribute("data-selected", "true")
        expect(units(page).last).to_be_in_viewport()
