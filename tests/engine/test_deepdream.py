"""deepdream: it amplifies the layer, keeps the photo's size, tiles, cancels, and restores the model."""

import threading

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image
from tests.engine.test_maximize import assert_same_state, prepared_net, state_of

from cnnwidget.engine.deepdream import _octave_sizes, _tiles, deepdream, default_dream_layers
from cnnwidget.engine.layer_catalog import LayerError
from cnnwidget.engine.preprocessing import Preprocess, to_tensor


def photo(width=90, height=60, seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([np.sin(x / 7.0), np.cos(y / 5.0), np.sin((x + y) / 11.0)], -1) * 0.3 + 0.5
    arr = np.clip(base + rng.normal(0, 0.05, base.shape), 0, 1)
    return Image.fromarray((arr * 255).astype(np.uint8))


def layer_energy(model, image, layer) -> float:
    from cnnwidget.engine.activations import layer_outputs

    x = Preprocess().normalize(to_tensor(image)[None])
    return float(layer_outputs(model, x, [layer])[layer].pow(2).mean())


def test_dream_keeps_the_size_and_amplifies_the_layer():
    model = prepared_net()
    src = photo()
    out = deepdream(model, src, layers="conv2", octaves=3, steps=6, lr=0.02, seed=0, progress=False)
    assert isinstance(out, Image.Image) and out.size == src.size
    assert layer_energy(model, out, "conv2") > 1.5 * layer_energy(model, src, "conv2")


def test_resnet_dream_amplifies_its_default_layer():
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    assert default_dream_layers(model) == ["layer3"]
    src = photo(96, 80)
    out = deepdream(model, src, octaves=2, steps=4, seed=0, progress=False)
    assert layer_energy(model, out, "layer3") > 1.2 * layer_energy(model, src, "layer3")


def test_model_is_left_exactly_as_found_also_on_errors():
    model = prepared_net()
    before = state_of(model)
    deepdream(model, photo(), layers=["conv2", "relu1"], octaves=2, steps=2, seed=0, progress=False)
    assert_same_state(before, state_of(model))

    def boom(step, image, value):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        deepdream(model, photo(), layers="relu2", octaves=2, steps=1, callback=boom, progress=False)
    assert_same_state(before, state_of(model))


def test_tiled_dream_matches_the_untiled_one():
    model = prepared_net()
    src = photo(100, 70)
    base = np.asarray(src, dtype=float)
    whole = deepdream(model, src, layers="conv2", octaves=1, steps=3, jitter=0, tile=512, seed=0, progress=False)
    tiled = deepdream(model, src, layers="conv2", octaves=1, steps=3, jitter=0, tile=56, seed=0, progress=False)
    assert tiled.size == whole.size == src.size
    change_whole = (np.asarray(whole, dtype=float) - base).ravel()
    change_tiled = (np.asarray(tiled, dtype=float) - base).ravel()
    # the same dream, up to the receptive fields cut at the four tiles' borders
    assert np.corrcoef(change_whole, change_tiled)[0, 1] > 0.75


def test_tiles_cover_the_image_with_bounded_tiles():
    tiles = _tiles(2048, 1500, 512)
    covered = np.zeros((2048, 1500), dtype=int)
    for top, bottom, left, right in tiles:
        assert bottom - top <= 512 and right - left <= 512
        covered[top:bottom, left:right] += 1
    assert (covered == 1).all()


def test_octave_sizes_grow_to_the_input_and_skip_tiny_levels():
    sizes = _octave_sizes(600, 400, 4, 1.4)
    assert sizes[-1] == (600, 400) and len(sizes) == 4
    assert sizes[0] == (round(600 / 1.4**3), round(400 / 1.4**3))
    assert _octave_sizes(40, 40, 6, 2.0) == [(40, 40)]


def test_callback_after_each_octave_and_cancel_returns_the_dream_so_far():
    model = prepared_net()
    cancel = threading.Event()
    calls = []

    def callback(step, image, value):
        calls.append((step, image.size, type(value)))
        cancel.set()

    out = deepdream(model, photo(), layers="conv2", octaves=3, steps=2, callback=callback, cancel=cancel,
                    seed=0, progress=False)
    assert calls == [(2, (90, 60), float)]
    assert out.size == (90, 60)


def test_same_seed_same_dream():
    model = prepared_net()
    a = deepdream(model, photo(), layers="conv2", octaves=2, steps=2, seed=3, progress=False)
    b = deepdream(model, photo(), layers="conv2", octaves=2, steps=2, seed=3, progress=False)
    assert np.array_equal(np.asarray(a), np.asarray(b))


def test_errors_name_the_fix():
    model = prepared_net()
    with pytest.raises(LayerError, match="unknown layer"):
        deepdream(model, photo(), layers="conv7", progress=False)
    with pytest.raises(ValueError, match="octave_scale > 1"):
        deepdream(model, photo(), layers="conv2", octave_scale=1.0, progress=False)


@pytest.mark.slow
def test_a_2048_px_photo_dreams_in_bounded_tiles():
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    src = photo(2048, 2048)
    out = deepdream(model, src, layers="layer2", octaves=1, steps=1, tile=512, seed=0, progress=False)
    assert out.size == (2048, 2048)
