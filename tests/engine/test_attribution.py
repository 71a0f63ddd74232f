import threading

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from cnnwidget.engine.attribution import (
    METHODS, Cancelled, attribute, attribution_map, gradcam_layer, source_layer, target_objective, unit_gradcam,
)
from cnnwidget.engine.preprocessing import Preprocess
from cnnwidget.models.default_model import default_model
from tests.model_state import assert_same_state, model_state

FAST = {"steps": 8, "window": 32, "stride": 16}  # few IG steps, coarse occlusion: the tests stay short


class RedSpotNet(nn.Module):
    """stage1 detects red (channel 0) and blue (channel 1); stage2's unit 0 sums red evidence."""

    def __init__(self):
        super().__init__()
        self.stage1 = nn.Sequential(nn.Conv2d(3, 2, 3, padding=1), nn.ReLU())
        self.stage2 = nn.Sequential(nn.MaxPool2d(4), nn.Conv2d(2, 2, 1), nn.ReLU())
        with torch.no_grad():
            w = torch.zeros(2, 3, 3, 3)
            w[0, 0] = 1 / 9
            w[0, 1] = -1 / 9
            w[1, 2] = 1 / 9
            self.stage1[0].weight.copy_(w)
            self.stage1[0].bias.zero_()
            self.stage2[1].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]])[:, :, None, None])
            self.stage2[1].bias.zero_()

    def forward(self, x):
        return self.stage2(self.stage1(x))


@pytest.fixture(scope="module")
def net():
    return default_model()


def _red_square() -> torch.Tensor:
    """A red square on grey, top right: the default model calls it a square (class 1)."""
    x = torch.full((3, 128, 128), 0.5)
    x[:, 20:60, 70:110] = torch.tensor([0.9, 0.2, 0.2])[:, None, None]
    return x


def test_gradcam_points_at_the_evidence_for_the_unit():
    x = torch.zeros(1, 3, 32, 32)
    x[0, 0, 4:10, 20:28] = 1.0  # red patch, top right
    x[0, 2, 22:28, 2:8] = 1.0  # blue patch, bottom left
    net = RedSpotNet().train()
    before = model_state(net)
    assert source_layer(net, "stage2", (32, 32)) == "stage1"
    red = unit_gradcam(net, x, "stage2", 0)
    blue = unit_gradcam(net, x, "stage2", 1)
    assert red.shape == (32, 32) and red.max() == 1.0
    ry, rx = np.unravel_index(red.argmax(), red.shape)
    by, bx = np.unravel_index(blue.argmax(), blue.shape)
    assert 2 <= ry <= 12 and 17 <= rx <= 30
    assert 19 <= by <= 30 and 0 <= bx <= 10
    assert red[22:28, 2:8].max() < 0.2  # the blue patch is no evidence for the red unit
    assert_same_state(before, model_state(net))


def test_silent_unit_gives_an_empty_map():
    net = RedSpotNet()
    cam = unit_gradcam(net, torch.zeros(1, 3, 32, 32), "stage2", 0)
    assert cam.shape == (32, 32) and cam.max() == 0.0


@pytest.mark.parametrize("method", METHODS)
def test_every_method_finds_the_square_that_makes_the_class(net, method):
    net.train()
    before = model_state(net)
    heat = attribute(net, _red_square(), 1, method, **FAST)
    assert_same_state(before, model_state(net))
    assert heat.shape == (128, 128) and heat.dtype == np.float32
    assert heat.min() >= 0 and heat.max() == 1.0
    inside = heat[16:64, 66:114].mean()
    outside = (heat.sum() - heat[16:64, 66:114].sum()) / (heat.size - 48 * 48)
    assert inside > 2.5 * outside, (inside, outside)


@pytest.mark.parametrize("method", METHODS)
def test_unit_targets_and_their_shorthand_agree(net, method):
    as_pair = attribute(net, _red_square(), ("stage3", 5), method, **FAST)
    as_text = attribute(net, _red_square(), "stage3:5", method, **FAST)
    np.testing.assert_allclose(as_pair, as_text, atol=1e-6)
    assert as_pair.max() == 1.0
    assert not np.allclose(as_pair, attribute(net, _red_square(), 1, method, **FAST))


@pytest.mark.parametrize("method", ["integrated_gradients", "occlusion"])
def test_long_methods_report_progress_and_cancel_leaving_the_model_as_found(net, method):
    net.train()
    before = model_state(net)
    seen = []
    options = {**FAST, "steps": 32}  # 4 forward passes of 8 path points
    attribute(net, _red_square(), 1, method, callback=lambda done, total: seen.append((done, total)), **options)
    total = seen[-1][1]
    assert total == (4 if method == "integrated_gradients" else 1 + 4)  # occlusion: 7 x 7 windows, 16 a pass
    assert total > 1 and seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    cancel = threading.Event()

    def stop_after_first(done, total):
        cancel.set()

    with pytest.raises(Cancelled):
        attribute(net, _red_square(), 1, method, cancel=cancel, callback=stop_after_first, **options)
    assert len(seen) >= total
    assert_same_state(before, model_state(net))


def test_errors_name_the_fix_and_leave_the_model_as_found(net):
    net.train()
    before = model_state(net)
    with pytest.raises(ValueError, match="class 12 is out of range.*use 0..11"):
        attribute(net, _red_square(), 12, "gradcam")
    with pytest.raises(ValueError, match="channel 999 is out of range"):
        attribute(net, _red_square(), ("stage3", 999), "integrated_gradients")
    with pytest.raises(ValueError, match="unknown attribution method 'lime'; choose one of gradcam"):
        attribute(net, _red_square(), 1, "lime")
    with pytest.raises(ValueError, match="give a class index"):
        target_objective(3.5)
    with pytest.raises(ValueError, match="occlusion window"):
        attribute(net, _red_square(), 1, "occlusion", window=500)

    class Broken(Exception):
        pass

    def explode(done, total):
        raise Broken

    stop = threading.Event()
    stop.set()
    for method in METHODS:
        with pytest.raises(Broken):
            attribute(net, _red_square(), 1, method, callback=explode, **FAST)
        with pytest.raises(Cancelled):  # cancelled before its first forward pass
            attribute(net, _red_square(), ("stage3", 5), method, cancel=stop, **FAST)
    assert_same_state(before, model_state(net))


def test_gradcam_reads_the_last_spatial_layer_for_a_class_and_a_finer_one_for_a_unit(net):
    assert gradcam_layer(net, target_objective(3), (128, 128)) == "stage4"
    assert gradcam_layer(net, target_objective("stage3:5"), (128, 128)) == "stage2"
    with pytest.raises(ValueError, match="runs 2 times"):
        gradcam_layer(torchvision.models.resnet18(), target_objective(3), (64, 64), "layer1.0.relu")


@pytest.mark.parametrize("method", METHODS)
def test_models_with_in_place_relus_are_explained_and_left_as_found(method):
    model = torchvision.models.resnet18().train()
    before = model_state(model)
    heat = attribute(model, torch.rand(3, 64, 64), 7, method, preprocess=Preprocess(size=64), **FAST)
    assert heat.shape == (64, 64) and heat.max() == 1.0
    assert_same_state(before, model_state(model))
    assert model.relu.inplace and model.layer1[0].relu.inplace


def test_a_batch_of_two_is_refused(net):
    with pytest.raises(ValueError, match="one picture"):
        attribution_map(net, torch.rand(2, 3, 32, 32), 1)
