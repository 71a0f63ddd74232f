"""Layer layouts beyond NCHW: channels-last stages, transformer tokens, vectors, and what is left out."""

import numpy as np
import pytest
import timm
import torch
import torchvision
from torch import nn

import cnnwidget
from cnnwidget.engine import LayerError, default_layer, find_layer
from cnnwidget.engine.activations import prefix_tokens
from cnnwidget.engine.capture import LayerCapture
from cnnwidget.engine.layouts import decide_layout
from tests.model_state import assert_same_state, model_state


@pytest.fixture(scope="module")
def swin():
    return torchvision.models.swin_t().eval()


@pytest.fixture(scope="module")
def photo():
    return np.random.default_rng(1).integers(0, 255, (120, 90, 3), dtype=np.uint8)


def raw_output(model, name, x):
    with LayerCapture(model, [name]) as capture, torch.no_grad():
        return capture.run(x)[name]


def test_swin_stage_norm_is_768_channels_of_7x7_not_7_channels(swin):
    found = {info.name: info for info in cnnwidget.layers(swin)}
    assert found["norm"].shape == (768, 7, 7) and found["norm"].layout == "nhwc"
    assert found["features.7"].shape == (768, 7, 7)
    assert found["features.0.0"].layout == "nchw"  # the patch-embedding convolution
    assert not [i for i in found.values() if i.shape[0] == 7]


def test_swin_non_square_input_keeps_rows_and_columns_apart(swin):
    found = {info.name: info.shape for info in cnnwidget.layers(swin, (96, 64))}
    assert found["norm"] == (768, 3, 2)
    assert found["features.1"] == (96, 24, 16)


def test_channels_last_activations_are_the_raw_output_permuted(swin, photo):
    before = model_state(swin)
    acts = cnnwidget.activations(swin, photo, "features.3", preprocess=cnnwidget.Preprocess(size=96))
    x = cnnwidget.Preprocess(size=96)(photo)[None]
    raw = raw_output(swin, "features.3", x)  # (1, 12, 12, 192)
    assert raw.shape == (1, 12, 12, 192) and acts.shape == (192, 12, 12)
    np.testing.assert_allclose(acts, raw[0].permute(2, 0, 1).numpy(), rtol=1e-5, atol=1e-5)
    assert_same_state(before, model_state(swin))


def test_vit_b_16_lists_its_12_encoder_blocks_as_tokens_with_a_class_token():
    model = torchvision.models.vit_b_16()
    found = {info.name: info for info in cnnwidget.layers(model)}
    blocks = [f"encoder.layers.encoder_layer_{i}" for i in range(12)]
    for name in blocks:
        assert found[name].shape == (768, 14, 14) and found[name].layout == "tokens" and found[name].prefix == 1
    assert found["conv_proj"].layout == "nchw"
    assert "heads" not in found and "heads.head" not in found
    assert find_layer(model, "heads.head", maps_only=False).layout == "vector"


def test_token_maps_are_the_patch_tokens_on_the_grid_and_the_class_token_stands_apart(photo):
    model = timm.create_model("deit_tiny_distilled_patch16_224", pretrained=False).eval()
    info = find_layer(model, "blocks.3")
    assert (info.layout, info.prefix, info.shape) == ("tokens", 2, (192, 14, 14))
    acts = cnnwidget.activations(model, photo, "blocks.3")
    x = cnnwidget.Preprocess()(photo)[None]
    raw = raw_output(model, "blocks.3", x)[0]  # (198, 192)
    np.testing.assert_allclose(acts[:, 2, 5], raw[2 + 2 * 14 + 5].numpy(), rtol=1e-5, atol=1e-5)
    extra = prefix_tokens(model, photo, "blocks.3")
    np.testing.assert_allclose(extra, raw[:2].numpy(), rtol=1e-5, atol=1e-5)


def test_deit_lists_block_token_outputs_not_attention_internals():
    model = timm.create_model("deit_tiny_patch16_224", pretrained=False)
    found = {info.name: info for info in cnnwidget.layers(model)}
    assert all(f"blocks.{i}" in found for i in range(12))
    assert not [n for n in found if n.endswith(("q_norm", "k_norm", "attn_drop"))]
    assert found["blocks.11"].shape == (192, 14, 14)
    with pytest.raises(LayerError, match="no activation maps"):
        find_layer(model, "blocks.0.attn.q_norm")


def test_decide_layout_uses_probes_to_tell_rows_from_channels():
    # (1, 7, 7, 7) is ambiguous by size; the probes say which axes follow the input's height and width.
    assert decide_layout((1, 7, 7, 7), taller=(1, 8, 7, 7), wider=(1, 7, 8, 7), channel_axis=None, grids=set())[0] == "nhwc"
    assert decide_layout((1, 7, 7, 7), taller=(1, 7, 8, 7), wider=(1, 7, 7, 8), channel_axis=None, grids=set())[0] == "nchw"
    # An attention matrix grows in two token axes: not a map.
    assert decide_layout((1, 3, 197, 197), taller=(1, 3, 225, 225), wider=(1, 3, 225, 225), channel_axis=None,
                         grids={(14, 14)})[0] == "other"
    # Without probes, the structure decides: a LayerNorm on the last axis means channels last.
    assert decide_layout((1, 7, 7, 7), taller=None, wider=None, channel_axis="last", grids={(7, 7)})[0] == "nhwc"
    assert decide_layout((1, 3, 197, 64), taller=None, wider=None, channel_axis="last", grids={(14, 14)})[0] == "other"


class ChannelsLast(nn.Module):
    """A stem convolution, then a channels-last LayerNorm + MLP stage, square maps of 7 x 7 x 7."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 7, 8, stride=8)
        self.norm = nn.LayerNorm(7)
        self.mlp = nn.Linear(7, 7)

    def forward(self, x):
        x = self.stem(x).permute(0, 2, 3, 1)
        return self.mlp(self.norm(x))


def test_a_cube_shaped_channels_last_output_is_read_by_probing_not_by_its_sizes():
    model = ChannelsLast()
    found = {info.name: info for info in cnnwidget.layers(model, 56)}  # every output is 7 x 7 x 7
    assert found["stem"].layout == "nchw" and found["norm"].layout == "nhwc" and found["mlp"].layout == "nhwc"
    x = torch.rand(1, 3, 56, 56)
    acts = cnnwidget.activations(model, x, "mlp", preprocess=lambda im: x[0])
    np.testing.assert_allclose(acts, raw_output(model, "mlp", x)[0].permute(2, 0, 1).detach().numpy(), rtol=1e-5)


def test_logits_are_not_maps_but_can_be_maximized():
    model = torchvision.models.resnet18()
    assert "fc" not in {i.name for i in cnnwidget.layers(model, 64)}
    engine = cnnwidget.Maximizer(model, "fc:3", steps=3, size=64, seed=0)
    values = [step.value for step in engine]
    assert engine.images()[0].size == (64, 64) and values[-1] > values[0]


def test_default_layer_of_a_plain_vit_is_a_middle_block():
    model = timm.create_model("deit_tiny_patch16_224", pretrained=False)
    assert default_layer(cnnwidget.layers(model)) == "blocks.6"


def test_tokens_of_a_model_that_resizes_its_input_itself_are_read_from_its_patch_grid():
    # CrossViT scales every input to its own sizes, so probes change nothing; the patch grids decide.
    assert decide_layout((1, 401, 96), taller=(1, 401, 96), wider=(1, 401, 96), channel_axis="last",
                         grids={(20, 20), (14, 14)}) == ("tokens", 1, (20, 20))
    assert decide_layout((1, 197, 192), taller=(1, 197, 192), wider=(1, 197, 192), channel_axis="last",
                         grids={(20, 20), (14, 14)}) == ("tokens", 1, (14, 14))


@pytest.mark.parametrize(
    "build, expected, layout, channels",
    [
        (torchvision.models.swin_t, "norm", "nhwc", 768),
        (torchvision.models.vit_b_16, "encoder.layers.encoder_layer_6", "tokens", 768),
        (lambda: timm.create_model("deit_tiny_patch16_224", pretrained=False), "blocks.6", "tokens", 192),
    ],
    ids=["swin_t", "vit_b_16", "deit_tiny"],
)
def test_default_layer_is_a_block_or_stage_output_with_its_real_layout_not_a_reshaping_op(
    build, expected, layout, channels
):
    torch.manual_seed(0)
    catalog = cnnwidget.layers(build())
    chosen = next(info for info in catalog if info.name == default_layer(catalog))
    assert (chosen.name, chosen.layout, chosen.channels) == (expected, layout, channels)
    assert chosen.type not in ("Permute", "Flatten", "Identity")
