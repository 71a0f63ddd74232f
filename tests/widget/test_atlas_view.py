"""CNNExplorer(model, atlas=DIR): atlas pictures on request and at once on selection; live otherwise."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cnnwidget import CNNExplorer
from cnnwidget.widget import protocol
from cnnwidget.atlas import build_atlas as atlas
from cnnwidget.atlas.source import ModelSource

LAYER = "stage2"
CHANNELS = [1, 4]


@pytest.fixture(scope="module")
def model():
    return ModelSource.of("default", None).build()


@pytest.fixture(scope="module")
def atlas_dir(model, tmp_path_factory):
    out = tmp_path_factory.mktemp("atlas")
    atlas(model, [LAYER], out, units=CHANNELS, steps=4, size=40, progress=False)
    return out


@pytest.fixture
def explorer(model, atlas_dir, photo):
    ex = CNNExplorer(model, image=photo, layer=LAYER, atlas=atlas_dir)
    ex.maximize_options = {**ex.maximize_options, "steps": 4, "size": 40}
    sent = []
    ex.send = lambda content, buffers=None: sent.append((content, buffers))
    ex.sent = sent
    yield ex
    ex.close()


def png_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_atlas_units_lists_the_pictures(explorer):
    assert explorer.atlas_units == {LAYER: CHANNELS}


def test_browser_asks_for_an_atlas_picture(explorer, atlas_dir):
    explorer._on_browser_message(explorer, {"type": protocol.ATLAS_IMAGE, "layer": LAYER, "channel": 4}, [])
    content, buffers = explorer.sent[-1]
    assert content["type"] == protocol.ATLAS_IMAGE and content["found"] is True
    assert (content["layer"], content["channel"]) == (LAYER, 4) and np.isfinite(content["value"])
    assert buffers[0] == (atlas_dir / LAYER / "4.png").read_bytes()


def test_asking_for_a_unit_not_in_the_atlas_answers_not_found(explorer):
    explorer._on_browser_message(explorer, {"type": protocol.ATLAS_IMAGE, "layer": LAYER, "channel": 2}, [])
    content, buffers = explorer.sent[-1]
    assert content["found"] is False and not buffers
    assert explorer.error == ""


def test_a_malformed_request_sets_error(explorer):
    explorer._on_browser_message(explorer, {"type": protocol.ATLAS_IMAGE, "layer": LAYER}, [])
    assert "channel" in explorer.error


def test_selecting_an_atlas_unit_shows_its_picture_at_once(explorer, atlas_dir):
    explorer.selected = (LAYER, 1)
    state = explorer.maximize_state
    assert state["status"] == "done" and state["source"] == "atlas" and state["unit"] == [LAYER, 1]
    assert state["step"] == state["steps"] == 4 and state["request"]["size"] == 40
    assert explorer._runner.current is None or not explorer._runner.current.thread.is_alive()
    assert np.array_equal(png_pixels(explorer.maximized_image), png_pixels((atlas_dir / LAYER / "1.png").read_bytes()))
    assert not [c for c, _ in explorer.sent if c["type"] == protocol.MAXIMIZE_PROGRESS]


def test_a_unit_missing_from_the_atlas_is_maximized_live(explorer):
    job = explorer.maximize((LAYER, 2))
    assert job is not None
    job.thread.join(120)
    state = explorer.maximize_state
    assert state["status"] == "done" and "source" not in state and state["unit"] == [LAYER, 2]
    assert [c for c, _ in explorer.sent if c["type"] == protocol.MAXIMIZE_PROGRESS]


def test_a_negative_request_is_not_served_from_the_atlas(explorer):
    job = explorer.maximize((LAYER, 1), negative=True)
    assert job is not None
    job.thread.join(120)
    assert "source" not in explorer.maximize_state


def test_explorer_without_atlas_has_no_units(model, photo):
    ex = CNNExplorer(model, image=photo, layer=LAYER)
    assert ex.atlas_units == {}
    ex.close()


def test_an_atlas_of_another_model_warns(photo, atlas_dir):
    import torchvision

    with pytest.warns(UserWarning, match="layers this model lacks"):
        ex = CNNExplorer(torchvision.models.resnet18(), image=photo, atlas=atlas_dir)
    assert ex.atlas_units == {}
    ex.close()
