import pytest
import torch
import torchvision
from torch import nn

import cnnwidget
from cnnwidget.engine import LayerError, default_layer, find_layer
from tests.model_state import assert_same_state, model_state


@pytest.mark.parametrize(
    "factory, expect",
    [
        (torchvision.models.resnet18, {"layer3": (256, 14, 14), "layer3.1": (256, 14, 14), "conv1": (64, 112, 112)}),
        (torchvision.models.mobilenet_v3_small, {"features.3": (24, 28, 28), "features.12": (576, 7, 7)}),
        (lambda: torchvision.models.googlenet(init_weights=False, aux_logits=False), {"inception4e": (832, 14, 14)}),
    ],
)
def test_layers_finds_stages_blocks_and_convs_with_shapes(factory, expect):
    model = factory()
    found = {info.name: info for info in cnnwidget.layers(model)}
    for name, shape in expect.items():
        assert found[name].shape == shape
    assert "fc" not in found and "classifier" not in found  # not 4-D outputs
    types = {info.type for info in found.values()}
    assert "Conv2d" in types


def test_layers_are_in_forward_order_and_count_reused_modules():
    model = torchvision.models.resnet18()
    names = [info.name for info in cnnwidget.layers(model)]
    assert names.index("layer1") < names.index("layer2") < names.index("layer3") < names.index("layer4")
    relu = find_layer(model, "layer1.0.relu")
    assert relu.calls == 2  # BasicBlock applies its ReLU twice
    assert names.index("layer1.0.relu") > names.index("layer1.0.bn2")


def test_layers_on_a_timm_cnn():
    import timm
    model = timm.create_model("resnet10t", pretrained=False)
    found = {info.name: info.shape for info in cnnwidget.layers(model)}
    assert found["layer4"][0] == 512


def test_layers_respects_input_size_and_leaves_model_untouched():
    model = torchvision.models.resnet18().train()
    before = model_state(model)
    small = {i.name: i.shape for i in cnnwidget.layers(model, input_size=64)}
    assert small["layer4"] == (512, 2, 2)
    assert_same_state(before, model_state(model))


def test_unknown_layer_suggests_nearest_names():
    model = torchvision.models.resnet18()
    with pytest.raises(LayerError, match="did you mean 'layer4'"):
        find_layer(model, "layer5")
    with pytest.raises(LayerError, match="not output an image-like"):
        find_layer(model, "fc")


def test_default_layer_is_a_mid_network_stage():
    assert default_layer(cnnwidget.layers(torchvision.models.resnet18())) == "layer3"


def test_model_without_image_layers_gives_empty_catalog():
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 4))
    assert cnnwidget.layers(model, input_size=8) == []
