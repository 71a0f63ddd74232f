"""Inputs follow the model to its device and dtype; a device mix-up the user caused is named with its fix.

No GPU here: the device logic is checked on CPU (bfloat16 and float64 models) and on the ``meta``
device (shapes flow, values do not).
"""

import numpy as np
import pytest
import torch
from torch import nn

import cnnwidget
from cnnwidget.engine.attribution import attribution_map
from cnnwidget.engine.capture import LayerCapture
from cnnwidget.engine.layer_catalog import capture_for, input_for
from cnnwidget.engine.model_input import DeviceError
from cnnwidget.engine.predictions import model_output
from tests.model_state import assert_same_state, model_state


def small_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10),
    )


def test_pictures_are_moved_to_a_meta_model_and_cast_to_its_dtype():
    model = small_net().to(device="meta", dtype=torch.float16)
    fit = input_for(model, 32)
    x = fit(torch.rand(2, 3, 32, 32))
    assert (x.device.type, x.dtype, tuple(x.shape)) == ("meta", torch.float16, (2, 3, 32, 32))
    with capture_for(model, ["3"], 32) as capture:
        out = capture.run(torch.rand(1, 3, 32, 32))["3"]
    assert (out.device.type, out.dtype, tuple(out.shape)) == ("meta", torch.float16, (1, 16, 16, 16))
    scores = model_output(model, torch.rand(1, 3, 32, 32))
    assert scores.device.type == "meta" and tuple(scores.shape) == (1, 10)


def test_a_bfloat16_model_is_explained_maximized_and_left_in_bfloat16():
    model = small_net().to(torch.bfloat16)
    before = model_state(model)
    photo = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    acts = cnnwidget.activations(model, photo, "3", preprocess=cnnwidget.Preprocess(size=32))
    assert acts.dtype == np.float32 and acts.shape == (16, 16, 16) and np.isfinite(acts).all()
    picture = cnnwidget.maximize(model, "3:2", size=32, steps=3, seed=0, progress=False)
    assert picture.size == (32, 32)
    heat = attribution_map(model, torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0)), 4,
                           "integrated_gradients", steps=4)
    assert heat.shape == (32, 32) and np.isfinite(heat).all() and heat.max() == pytest.approx(1.0)
    assert all(p.dtype == torch.bfloat16 for p in model.parameters())
    assert_same_state(before, model_state(model))


class MakesItsOwnCpuTensor(nn.Module):
    """A forward that creates a tensor on the CPU whatever device the model is on (the user's mix-up)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(x) + torch.ones(1, 4, 1, 1)


FIX = r"not on the expected device meta.*mixes devices; move the whole model and anything it creates to one device"


def test_a_forward_that_mixes_devices_gets_an_error_naming_the_fix():
    model = MakesItsOwnCpuTensor().to("meta")
    with pytest.raises(DeviceError, match=FIX):
        cnnwidget.layers(model, 16)
    with pytest.raises(DeviceError, match=FIX):
        with LayerCapture(model, ["conv"], stop_early=False) as capture:
            capture.run(torch.rand(1, 3, 16, 16, device="meta"))
    assert not model.conv._forward_hooks and not model._forward_hooks
