"""The int8 copy of a model's front: its maps against float32, the user's model untouched, clear refusals.

Tolerances (measured on resnet18 with seeded random weights, 224 px, AVX-512 and AVX2 alike:
median per-channel Pearson r 0.98, 10th percentile 0.96, relative error 0.07): the copy must keep
a median per-channel correlation >= 0.95, a 10th percentile >= 0.9 and a relative error <= 0.15,
on a picture it was not calibrated on, at the model's size and at a smaller live side.
"""

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image
from torchvision.models.feature_extraction import create_feature_extractor

from cnnwidget.data.samples import samples
from cnnwidget.engine.int8_front import (
    Int8Unavailable, build_int8_front, finish_int8_front, map_agreement, prepare_int8_front, split_maps_first,
)
from cnnwidget.engine.preprocessing import Preprocess
from tests.model_state import assert_same_state, model_state

MEDIAN_R, P10_R, RELATIVE = 0.95, 0.9, 0.15


def picture(path, side=224) -> torch.Tensor:
    pre = Preprocess(size=side)
    rgb = np.asarray(pre.crop(Image.open(path).convert("RGB")))
    return pre.normalize(torch.from_numpy(rgb.copy())[None].permute(0, 3, 1, 2).float() / 255)


@pytest.fixture(scope="module")
def resnet():
    torch.manual_seed(0)
    return torchvision.models.resnet18().eval()


@pytest.fixture(scope="module")
def pictures():
    paths = samples()
    held_out = paths.pop("chelsea")
    return [picture(p) for p in paths.values()], held_out


@pytest.fixture(scope="module")
def front(resnet, pictures):
    calibration, _ = pictures
    return build_int8_front(resnet, "layer3", calibration, logits=True)


@pytest.mark.parametrize("side", [224, 160])
def test_int8_maps_match_float32_on_a_picture_it_was_not_calibrated_on(resnet, pictures, front, side):
    _, held_out = pictures
    x = picture(held_out, side)
    reference = create_feature_extractor(resnet, {"layer3": "maps"})(x)["maps"][0].detach()
    maps, logits = front(x)
    assert maps.shape[1:] == reference.shape and maps.dtype == torch.float32
    agreement = map_agreement(maps[0], reference)
    assert agreement["pearson_median"] >= MEDIAN_R, agreement
    assert agreement["pearson_p10"] >= P10_R, agreement
    assert agreement["relative_error"] <= RELATIVE, agreement
    # the whole network ran too: its scores rank like float32's
    scores = resnet(x).detach()[0]
    assert logits.shape == (1, 1000)
    assert np.corrcoef(logits[0].numpy(), scores.numpy())[0, 1] > 0.9


def test_the_maps_come_first_and_the_rest_of_the_network_gives_the_same_logits_later(resnet, pictures, front):
    """The copy with logits is cut in two: maps_first runs only what layer3 needs; the function it
    returns runs layer4 to fc on what the first part handed over, giving the whole copy's logits."""
    _, held_out = pictures
    x = picture(held_out, 192)
    assert front.parts is not None
    maps, later = front.maps_first(x)
    whole_maps, whole_logits = front(x)
    assert torch.equal(maps, whole_maps)
    assert torch.equal(later(), whole_logits)
    first, rest = front.parts
    ran_first = {n.target for n in first.graph.nodes if n.op == "call_module"}
    ran_rest = {n.target for n in rest.graph.nodes if n.op == "call_module"}
    assert not any(str(t).startswith(("layer4", "fc")) for t in ran_first)  # the maps do not wait for them
    assert any(str(t).startswith("layer4") for t in ran_rest) and any(str(t).startswith("fc") for t in ran_rest)


def test_a_graph_is_cut_so_that_the_rest_gets_every_value_it_uses():
    """A skip connection from the input past the cut: the first part hands the input on too."""
    from torch import fx

    class Skip(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = torch.nn.Linear(4, 4), torch.nn.Linear(4, 2)

        def forward(self, x):
            h = torch.relu(self.a(x))
            return {"maps": h * 2, "logits": self.b(h + x)}

    torch.manual_seed(0)
    module = fx.symbolic_trace(Skip())
    first, rest = split_maps_first(module)
    x = torch.randn(3, 4)
    maps, *carried = first(x)
    assert len(carried) == 2  # h and x
    expected = module(x)
    assert torch.equal(maps, expected["maps"]) and torch.equal(rest(*carried), expected["logits"])


def test_the_agreement_figures_catch_a_poor_copy():
    reference = torch.randn(8, 7, 7)
    good = map_agreement(reference + 0.01 * torch.randn(8, 7, 7), reference)
    shuffled = map_agreement(reference[torch.randperm(8)].flip(-1), reference)
    assert good["pearson_median"] > 0.99 and good["relative_error"] < 0.02
    assert shuffled["pearson_median"] < 0.5 and shuffled["relative_error"] > 1.0


def test_building_the_copy_leaves_the_model_exactly_as_found(pictures):
    torch.manual_seed(1)
    model = torchvision.models.resnet18().train()
    model.layer2[0].conv1.weight.grad = torch.ones_like(model.layer2[0].conv1.weight)
    model.fc.requires_grad_(False)
    seen = []
    model.layer3.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    before = model_state(model)
    calibration, _ = pictures
    front = build_int8_front(model, "layer3", calibration[:3])
    assert_same_state(before, model_state(model))
    assert seen == []  # the user's hook never ran: the copy has its own modules
    assert front.agreement["pearson_median"] >= MEDIAN_R


def test_the_copy_starts_on_the_first_frame_and_calibrates_elsewhere(resnet, pictures):
    calibration, _ = pictures
    prepared = prepare_int8_front(resnet, "layer2", calibration[0])
    copy = finish_int8_front(prepared, calibration[1:])
    maps, logits = copy(calibration[0])
    assert logits is None and maps.shape == (1, 128, 28, 28)
    assert copy.agreement["pearson_median"] >= MEDIAN_R and copy.build_s > 0


class Branchy(torch.nn.Module):
    """Control flow on a tensor's value: FX cannot trace it."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)

    def forward(self, x):
        y = self.conv(x)
        return y if y.sum() > 0 else -y


def test_models_without_an_int8_copy_are_refused_with_the_reason(pictures):
    calibration, _ = pictures
    with pytest.raises(Int8Unavailable, match="Proxy|symbolic|traced|iterable|bool"):
        build_int8_front(Branchy(), "conv", calibration[:2])
    with pytest.raises(Int8Unavailable, match="not a node of the traced graph"):
        build_int8_front(torchvision.models.resnet18(), "layer9", calibration[:2])
    with pytest.raises(Int8Unavailable, match="float32 CPU models"):
        build_int8_front(torchvision.models.resnet18().double(), "layer3", calibration[:2])
    with pytest.raises(Int8Unavailable, match="at least two pictures"):
        build_int8_front(torchvision.models.resnet18(), "layer3", calibration[:1])
