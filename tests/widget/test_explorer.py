"""The widget's Python side, without a browser: traits, messages and errors."""

import io

import numpy as np
import pytest
import torchvision
from PIL import Image

from cnnwidget import CNNExplorer
from cnnwidget.widget import protocol
from tests.model_state import assert_same_state, model_state


@pytest.fixture(scope="module")
def model():
    return torchvision.models.resnet18()


def png_bytes(arr: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(arr).save(out, format="PNG")
    return out.getvalue()


def test_explorer_starts_on_a_mid_layer_with_a_binary_grid(model, photo):
    before = model_state(model)
    ex = CNNExplorer(model, image=photo)
    assert ex.layer == "layer3"
    meta = ex.grid_meta
    assert (meta["channels"], meta["height"], meta["width"]) == (256, 14, 14)
    assert isinstance(ex.grid, bytes) and len(ex.grid) == 256 * 16 + 256 * 14 * 14
    _, approx = protocol.decode_grid(ex.grid, 256, 14, 14)
    exact = ex.current_activations
    assert np.abs(approx - exact).max() <= (exact.max() - exact.min()) / 255 + 1e-4
    assert Image.open(io.BytesIO(ex.image)).size == (224, 224)
    assert [l["name"] for l in ex.layers][:2] == ["conv1", "bn1"]
    assert_same_state(before, model_state(model))


def test_changing_layer_recomputes_the_grid(model, photo):
    ex = CNNExplorer(model, image=photo, layer="layer4")
    version = ex.grid_meta["version"]
    ex.layer = "layer1"
    assert ex.grid_meta["layer"] == "layer1" and ex.grid_meta["channels"] == 64
    assert ex.grid_meta["version"] > version


def test_unknown_layer_from_the_browser_reverts_and_explains(model, photo):
    ex = CNNExplorer(model, image=photo, layer="layer2")
    ex.layer = "layer9"
    assert ex.layer == "layer2"
    assert "unknown layer 'layer9'" in ex.error


def test_selection_is_validated_and_reported(model, photo):
    ex = CNNExplorer(model, image=photo)
    seen = []
    ex.on_select(seen.append)
    ex.selected = ["layer3", 7]
    assert ex.selected == ("layer3", 7) and seen == [("layer3", 7)]
    with pytest.raises(Exception, match="choose 0..255"):
        ex.selected = ("layer3", 256)
    ex.close()  # selecting started a maximization; leave no worker for later tests


def test_upload_replaces_the_image_and_bad_upload_shows_an_error(model, photo):
    ex = CNNExplorer(model, image=photo, layer="layer4")
    grid = ex.grid
    flipped = np.ascontiguousarray(photo[:, ::-1])
    ex._on_browser_message(ex, {"type": "upload", "name": "flip.png"}, [png_bytes(flipped)])
    assert ex.error == "" and ex.image_name == "flip.png" and ex.grid != grid
    ex._on_browser_message(ex, {"type": "upload", "name": "notes.txt"}, [b"hello"])
    assert "'notes.txt' is not a readable image" in ex.error
    ex._on_browser_message(ex, {"type": "upload", "name": "flip.png"}, [png_bytes(flipped)])
    assert ex.error == ""  # the widget keeps working


def test_samples_are_offered_and_loadable(model):
    ex = CNNExplorer(model)
    assert len(ex.samples) >= 3
    name = ex.samples[1]
    ex._on_browser_message(ex, {"type": "sample", "name": name}, [])
    assert ex.image_name == name and ex.error == ""
    ex._on_browser_message(ex, {"type": "sample", "name": "../../etc/passwd"}, [])
    assert "no sample called" in ex.error


def test_unknown_layer_argument_raises_with_suggestions(model):
    with pytest.raises(KeyError, match="did you mean"):
        CNNExplorer(model, layer="layer33")
