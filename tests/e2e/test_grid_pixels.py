"""What the grid really paints, read back from its canvas, against the kernel's activations;
the layer picker's stage groups; the live dream's strength and carry-over controls.

The kernel prints ``ex.current_activations`` put through the documented normalization
(docs/protocol.md: each channel quantized with its own min..max to 0..255); the page's
canvas is sampled at the centre of every activation pixel of a unit's tile. Colormap
end colours are matplotlib's (written out below), not taken from the widget's own tables.
"""

from __future__ import annotations

import ast
import json

import numpy as np
import pytest
from playwright.sync_api import expect

from .explorer_page import shown_explorer, unit, units

pytestmark = pytest.mark.e2e

UPDATE_MS = 60_000  # one kernel round trip
PAINT_S = 20.0  # a repaint after a control changed, on a loaded machine
LAYER = "layer4"  # 512 channels of 7x7: tiles of 26 px, several screen pixels per activation

CELLS = [
    "import json\nimport numpy as np, torch, torchvision\nfrom cnnwidget import CNNExplorer\n\n"
    "torch.manual_seed(0)\n"
    f"ex = CNNExplorer(torchvision.models.resnet18(), layer={LAYER!r}, auto_maximize=False)\nex",  # 0
    # 1: the expected tiles, computed here from ex.current_activations (not from the grid bytes)
    "a = ex.current_activations.astype(np.float64)\n"
    "lo, hi = a.min(axis=(1, 2)), a.max(axis=(1, 2))\n"
    "codes = np.rint((a - lo[:, None, None]) / np.where(hi > lo, hi - lo, 1)[:, None, None] * 255).astype(int)\n"
    "varied = [int(c) for c in np.nonzero(hi > lo)[0]]\n"
    "strongest = int(np.argmax(hi))\n"
    "picked = sorted(set(varied[:3] + varied[-2:] + [strongest]))\n"
    "print(json.dumps({'layer': ex.layer, 'shape': list(a.shape), 'strongest': strongest,\n"
    "                  'codes': {c: codes[c].tolist() for c in picked}}))",
    "print(ex.live_options)",  # 2
    "ex.live_options = {**ex.live_options, 'dream_lr': 0.1, 'carry': 0.5}",  # 3
]

# Sample the grid canvas at the centre of each of the w x h activation pixels of a unit's tile.
TILE_JS = """(el, [w, h]) => {
  const canvas = document.querySelector('[data-testid=activation-grid] [data-testid=grid-canvas]');
  const cr = canvas.getBoundingClientRect(), ur = el.getBoundingClientRect();
  const sx = canvas.width / cr.width, sy = canvas.height / cr.height;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const out = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const px = Math.floor((ur.left - cr.left + (x + 0.5) * ur.width / w) * sx);
    const py = Math.floor((ur.top - cr.top + (y + 0.5) * ur.height / h) * sy);
    const o = (py * canvas.width + px) * 4;
    out.push([data[o], data[o + 1], data[o + 2], data[o + 3]]);
  }
  return out;
}"""

SET_RANGE_JS = "(el, v) => { el.value = String(v); el.dispatchEvent(new Event('change', { bubbles: true })); }"


@pytest.fixture(scope="module")
def nb(browser, open_notebook):
    with shown_explorer(browser, open_notebook, "grid_pixels.ipynb", CELLS, permissions=["camera"]) as nb:
        yield nb


@pytest.fixture(scope="module")
def expected(nb) -> dict:
    """The kernel's expected tile codes: {layer, shape, strongest, codes: {channel: HxW ints}}."""
    line = nb.run_and_read(1).strip().splitlines()[-1]
    data = json.loads(line)
    assert data["layer"] == LAYER and len(data["codes"]) >= 3
    data["codes"] = {int(c): np.array(v) for c, v in data["codes"].items()}
    return data


# First and last colour of each colormap, as matplotlib 3.11 defines them (the viridis and magma
# tables in matplotlib/_cm_listed.py, coolwarm's end points in matplotlib/_cm.py, from Moreland's
# "Diverging Color Maps for Scientific Visualization"), rounded to 0..255. Not the widget's tables.
COLORMAP_ENDS = {
    "viridis": ((68, 1, 84), (253, 231, 37)),
    "magma": ((0, 0, 4), (252, 253, 191)),
    "coolwarm": ((59, 76, 192), (180, 4, 38)),
    "gray": ((0, 0, 0), (255, 255, 255)),
}


def colormap_ends(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The first and last colour (0..255 RGB) of colormap ``name``."""
    return tuple(np.array(colour) for colour in COLORMAP_ENDS[name])


def tile(page, locator, shape) -> np.ndarray:
    """The (H, W, 3) colours painted for the unit at ``locator`` (opaque pixels checked)."""
    _, h, w = shape
    rgba = np.array(locator.evaluate(TILE_JS, [w, h])).reshape(h, w, 4)
    assert (rgba[..., 3] == 255).all(), "the tile is not painted (transparent canvas pixels)"
    return rgba[..., :3]


def choose(page, control: str, value: str) -> None:
    page.get_by_test_id(f"{control}-select").select_option(value)
    expect(page.get_by_test_id(f"{control}-select")).to_have_value(value)


def wait_painted(page, check, what: str) -> None:
    """Poll the canvas until ``check()`` holds (a repaint follows a control's change)."""
    for _ in range(int(PAINT_S / 0.2)):
        if check():
            return
        page.wait_for_timeout(200)
    assert check(), f"the grid never showed {what}"


def test_tiles_are_the_kernel_activations_through_the_documented_normalization(nb, expected):
    page = nb.page
    choose(page, "normalization", "channel")
    choose(page, "sort", "index")
    choose(page, "colormap", "gray")  # gray maps code q to (q, q, q)
    shape = expected["shape"]
    first = min(expected["codes"])
    wait_painted(page, lambda: (np.ptp(tile(page, unit(page, first), shape), axis=-1) == 0).all(), "gray tiles")
    for channel, codes in expected["codes"].items():
        shown = tile(page, unit(page, channel), shape)
        assert (np.ptp(shown, axis=-1) == 0).all(), f"channel {channel}: not gray"
        difference = np.abs(shown[..., 0] - codes)
        assert difference.max() <= 1, f"channel {channel}: painted codes differ by up to {difference.max()}"
        assert difference.mean() < 0.05, f"channel {channel}: mean difference {difference.mean():.3f}"


@pytest.mark.parametrize("name", ["viridis", "magma", "coolwarm", "gray"])
def test_after_a_colormap_change_the_tiles_end_colours_are_that_colormap(nb, expected, name):
    page = nb.page
    choose(page, "normalization", "channel")
    choose(page, "colormap", name)
    low, high = colormap_ends(name)
    shape = expected["shape"]

    def ends(channel):
        codes, shown = expected["codes"][channel], tile(page, unit(page, channel), shape)
        return shown[codes == 0], shown[codes == 255]

    first = min(expected["codes"])
    wait_painted(page, lambda: np.abs(ends(first)[0] - low).max() <= 1, f"{name}'s first colour")
    for channel in expected["codes"]:
        lows, highs = ends(channel)
        assert len(lows) and len(highs), f"channel {channel} has no minimum or maximum pixel"
        assert np.abs(lows - low).max() <= 1, f"{name}, channel {channel}: minimum shown as {lows[0]}, not {low}"
        assert np.abs(highs - high).max() <= 1, f"{name}, channel {channel}: maximum shown as {highs[0]}, not {high}"


def test_sort_by_max_puts_the_strongest_channel_first_on_screen(nb, expected):
    page = nb.page
    choose(page, "colormap", "gray")
    choose(page, "sort", "max")
    strongest = expected["strongest"]
    expect(units(page).first).to_have_attribute("data-channel", str(strongest), timeout=UPDATE_MS)
    codes = expected["codes"][strongest]
    # The first place on the canvas shows the strongest channel's tile.
    wait_painted(page, lambda: np.abs(tile(page, units(page).first, expected["shape"])[..., 0] - codes).max() <= 1,
                 "the strongest channel's tile first")
    choose(page, "sort", "index")
    expect(units(page).first).to_have_attribute("data-channel", "0")


def test_layer_picker_groups_the_layers_by_stage(nb):
    import torchvision

    import cnnwidget

    infos = cnnwidget.layers(torchvision.models.resnet18())
    wanted: dict[str, list[str]] = {}
    for info in infos:
        wanted.setdefault(info.name.split(".")[0], []).append(info.name)
    page = nb.page
    page.get_by_test_id("layer-filter").fill("")
    groups = page.get_by_test_id("layer-select").locator("optgroup").evaluate_all(
        "gs => gs.map(g => [g.label, Array.from(g.querySelectorAll('option')).map(o => o.value)])"
    )
    assert [label for label, _ in groups] == list(wanted), "one group per stage, in forward order"
    assert dict(groups) == wanted
    assert {"layer1", "layer2", "layer3", "layer4"} <= set(wanted)
    # the filter keeps the grouping: only layer3's group is left for "layer3."
    page.get_by_test_id("layer-filter").fill("layer3.")
    labels = page.get_by_test_id("layer-select").locator("optgroup").evaluate_all("gs => gs.map(g => g.label)")
    assert set(labels) <= {"layer3", LAYER}  # the current layer's option stays, in its own group
    assert "layer3" in labels
    page.get_by_test_id("layer-filter").fill("")


def test_live_strength_and_carry_controls_reach_the_kernel_and_follow_it(nb):
    page = nb.page
    strength, carry = page.get_by_test_id("live-opt-dream_lr"), page.get_by_test_id("live-opt-carry")
    expect(strength).to_be_hidden()  # dream controls show in dream mode only
    expect(carry).to_be_hidden()
    page.get_by_test_id("live-mode").select_option("dream")
    expect(strength).to_be_visible()
    expect(carry).to_be_visible()
    defaults = ast.literal_eval(nb.run_and_read(2).strip().splitlines()[-1])
    expect(strength).to_have_value(str(defaults["dream_lr"]))
    expect(carry).to_have_value(str(defaults["carry"]))
    strength.evaluate(SET_RANGE_JS, 0.05)
    carry.evaluate(SET_RANGE_JS, 0.3)
    options = ast.literal_eval(nb.run_and_read(2).strip().splitlines()[-1])
    assert options["dream_lr"] == pytest.approx(0.05) and options["carry"] == pytest.approx(0.3)
    carry.evaluate(SET_RANGE_JS, 2)  # beyond the range: held at its top, which the kernel accepts
    expect(carry).to_have_value("0.95")
    options = ast.literal_eval(nb.run_and_read(2).strip().splitlines()[-1])
    assert options["carry"] == pytest.approx(0.95)
    nb.run_cell(3)  # set from Python: the controls follow
    expect(strength).to_have_value("0.1", timeout=UPDATE_MS)
    expect(carry).to_have_value("0.5", timeout=UPDATE_MS)
    page.get_by_test_id("live-mode").select_option("maps")
    expect(strength).to_be_hidden()
