"""Attribution on token and channels-last layers: Grad-CAM reads the patch grid, every method runs on
ViT, DeiT and Swin (random weights), and the model is left as found."""

import numpy as np
import pytest
import timm
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from cnnwidget.engine.attribution import METHODS, attribution_map, gradcam_layer
from cnnwidget.engine.objectives import class_logit
from tests.model_state import assert_same_state, model_state


class TinyBackbone(nn.Module):
    """A 4 x 4 patch embedding, then one linear block on tokens (with a class token) or channels-last maps."""

    def __init__(self, layout: str):
        super().__init__()
        torch.manual_seed(1)
        self.layout = layout
        self.embed = nn.Conv2d(3, 8, 4, stride=4)
        self.cls = nn.Parameter(torch.randn(1, 1, 8))
        self.block = nn.Linear(8, 8)
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        maps = self.embed(x)
        if self.layout == "tokens":
            tokens = torch.cat([self.cls.expand(len(x), -1, -1), maps.flatten(2).transpose(1, 2)], dim=1)
            return self.head(F.gelu(self.block(tokens)).mean(1))
        return self.head(F.gelu(self.block(maps.permute(0, 2, 3, 1))).mean((1, 2)))


def hand_gradcam(model: TinyBackbone, x: torch.Tensor, target: int) -> np.ndarray:
    """Grad-CAM written out: the block's output reshaped by hand to (1, 8, 4, 4), class token dropped."""
    kept = {}
    handle = model.block.register_forward_hook(lambda m, i, out: kept.setdefault("out", out))
    try:
        score = model(x)[0, target]
    finally:
        handle.remove()
    out = kept["out"]
    grad = torch.autograd.grad(score, out)[0]
    if model.layout == "tokens":
        as_maps = lambda t: t[:, 1:].transpose(1, 2).reshape(1, 8, 4, 4)
    else:
        as_maps = lambda t: t.permute(0, 3, 1, 2)
    maps, grads = as_maps(out.detach()), as_maps(grad)
    cam = F.relu((grads.mean((2, 3), keepdim=True) * maps).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=(16, 16), mode="bilinear", align_corners=False)[0, 0]
    return (cam / cam.max()).numpy()


@pytest.mark.parametrize("layout", ["tokens", "nhwc"])
def test_gradcam_on_a_token_or_channels_last_layer_equals_the_hand_computed_reshape(layout):
    model = TinyBackbone(layout).eval()
    x = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    before = model_state(model)
    expected = hand_gradcam(model, x, 2)
    got = attribution_map(model, x, 2, "gradcam", layer="block")
    assert got.shape == (16, 16) and expected.std() > 0.01
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert_same_state(before, model_state(model))


@pytest.fixture(scope="module")
def deit():
    torch.manual_seed(0)
    return timm.create_model("deit_tiny_patch16_224", pretrained=False).eval()


def assert_a_real_map(heat: np.ndarray, size: int) -> None:
    assert heat.shape == (size, size) and heat.dtype == np.float32
    assert np.isfinite(heat).all() and heat.min() >= 0 and heat.max() == pytest.approx(1.0)
    assert heat.std() > 0.01  # not constant


@pytest.mark.parametrize("method", METHODS)
def test_every_method_explains_a_deit_class_at_a_small_picture_size(deit, method):
    picture = torch.rand(1, 3, 48, 48, generator=torch.Generator().manual_seed(3))
    before = model_state(deit)
    heat = attribution_map(deit, picture, 7, method, steps=4, window=12)
    assert_a_real_map(heat, 48)
    assert_same_state(before, model_state(deit))


def test_gradcam_for_a_class_token_classifier_reads_the_last_blocks_input_not_its_blank_output(deit):
    # After the last block the patch tokens no longer reach the class token: Grad-CAM there is blank.
    assert gradcam_layer(deit, class_logit(7), (48, 48)) == "blocks.11.norm1"


def test_gradcam_and_integrated_gradients_on_vit_b_16():
    torch.manual_seed(0)
    vit = torchvision.models.vit_b_16().eval()
    nn.init.normal_(vit.heads.head.weight, std=0.02)  # torchvision starts the head at zero: no class evidence
    picture = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(4))
    before = model_state(vit)
    assert gradcam_layer(vit, class_logit(5), (32, 32)) == "encoder.layers.encoder_layer_11.ln_1"
    assert_a_real_map(attribution_map(vit, picture, 5, "gradcam"), 32)
    unit = attribution_map(vit, picture, ("encoder.layers.encoder_layer_5", 11), "integrated_gradients", steps=2)
    assert_a_real_map(unit, 32)
    assert_same_state(before, model_state(vit))


@pytest.mark.parametrize("method", ["gradcam", "guided_backprop"])
def test_swin_t_channels_last_stages_are_explained(method):
    torch.manual_seed(0)
    swin = torchvision.models.swin_t().eval()
    picture = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(5))
    before = model_state(swin)
    heat = attribution_map(swin, picture, ("features.5", 3), method, layer="features.3" if method == "gradcam" else None)
    assert_a_real_map(heat, 64)
    assert_same_state(before, model_state(swin))
