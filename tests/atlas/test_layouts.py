"""The atlas of a transformer's token layer: each saved picture, reloaded and resized to the model's
224 px as the package does, drives its own unit (mean over the patch tokens) as its record says."""

from __future__ import annotations

import json

import numpy as np
import timm
import torch
import torch.nn.functional as F

import cnnwidget
from cnnwidget.engine.normalizer import pixel_normalizer
from tests.atlas.unit_values import reloaded
from tests.model_state import assert_same_state, model_state

LAYER = "blocks.3"


@torch.no_grad()
def patch_token_means(model, pictures: torch.Tensor) -> torch.Tensor:
    """``(N, C)``: each channel of ``LAYER`` averaged over the patch tokens (class token left out), by our own hook."""
    seen = []
    handle = model.get_submodule(LAYER).register_forward_hook(lambda m, i, out: seen.append(out))
    try:
        x = F.interpolate(pixel_normalizer(None, model)(pictures), size=(224, 224), mode="bilinear", align_corners=False)
        model(x)
    finally:
        handle.remove()
    return seen[0][:, 1:].mean(1)


def test_a_token_layer_atlas_files_each_units_picture_with_its_value(tmp_path):
    torch.manual_seed(0)
    deit = timm.create_model("deit_tiny_patch16_224", pretrained=False).eval()
    before = model_state(deit)
    result = cnnwidget.build_atlas(deit, LAYER, tmp_path / "atlas", units="4,9", steps=16, size=32, batch=2,
                                   workers=0, progress=False)
    assert sorted(u.channel for u in result.computed) == [4, 9]
    records = sorted(json.loads((tmp_path / "atlas" / "atlas.json").read_text())["units"], key=lambda r: r["unit"])
    pictures = torch.stack([reloaded(tmp_path / "atlas" / r["file"]) for r in records])
    assert pictures.shape == (2, 3, 32, 32) and pictures.std() > 0.01
    means = patch_token_means(deit, pictures)
    for row, record in enumerate(records):
        own = float(means[row, record["unit"]])
        assert abs(own - record["value"]) <= 0.02 * (1 + abs(record["value"])), (own, record["value"])
        assert own > float(means[1 - row, record["unit"]])  # its own picture drives it harder than the other's
    assert_same_state(before, model_state(deit))
