"""Dataset examples of a transformer's token layer and a Swin's channels-last stage: each unit's top
images are the ones where our own hook sees its highest peak (class token left out, channels last)."""

from __future__ import annotations

import numpy as np
import pytest
import timm
import torch
import torchvision
from PIL import Image

import cnnwidget
from cnnwidget.engine.preprocessing import input_tensor, resolve_preprocess
from tests.model_state import assert_same_state, model_state


def pictures() -> list[Image.Image]:
    rng = np.random.default_rng(7)
    out = []
    for i in range(6):
        y, x = np.mgrid[0:160, 0:200]
        rgb = np.stack([np.sin(x / (3 + 2 * i)), np.cos(y / (4 + i)), rng.random((160, 200))], -1)
        out.append(Image.fromarray(((rgb * 0.5 + 0.5) * 255).astype(np.uint8)))
    return out


@torch.no_grad()
def peaks(model, layer: str, layout: str, images: list[Image.Image]) -> np.ndarray:
    """``(images, C)``: each unit's highest value per image, read by our own hook."""
    seen = []
    handle = model.get_submodule(layer).register_forward_hook(lambda m, i, out: seen.append(out))
    try:
        preprocess = resolve_preprocess(None, model)
        model(torch.cat([input_tensor(image, preprocess) for image in images]))
    finally:
        handle.remove()
    out = seen[0]
    maps = out[:, 1:] if layout == "tokens" else out.flatten(1, 2)  # (N, positions, C)
    return maps.amax(1).numpy()


@pytest.mark.parametrize(
    "build, layer, layout",
    [
        (lambda: timm.create_model("deit_tiny_patch16_224", pretrained=False), "blocks.3", "tokens"),
        (torchvision.models.swin_t, "features.3", "nhwc"),
    ],
    ids=["deit-tokens", "swin-nhwc"],
)
def test_top_images_of_token_and_channels_last_units_are_their_highest_peaks(tmp_path, build, layer, layout):
    torch.manual_seed(0)
    model = build().eval()
    before = model_state(model)
    images = pictures()
    index = cnnwidget.dataset_examples(model, images, layer, k=2, out=tmp_path / "ex", executor="local",
                                       workers=0, progress=False)
    expected = peaks(model, layer, layout, images)
    channels = expected.shape[1]
    assert channels == 192  # deit-tiny blocks.3 and swin_t features.3 alike
    for unit in (0, 5, channels - 1):
        top = index.top(layer, unit)
        best = np.sort(expected[:, unit])[::-1][:2]
        np.testing.assert_allclose([e.score for e in top], best, rtol=1e-3, atol=1e-4)
        assert top[0].crop is not None and min(top[0].crop.size) > 0
    assert_same_state(before, model_state(model))
