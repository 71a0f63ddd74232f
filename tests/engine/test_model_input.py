"""Pictures fitted to the model: too small for the architecture, one size only, 1 or 4 channels, devices."""

import warnings

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

import cnnwidget
from cnnwidget.engine.deepdream import deepdream
from cnnwidget.engine.layer_catalog import capture_for, input_for
from cnnwidget.engine.live_dream import FrameDreamer
from cnnwidget.engine.model_input import DeviceError, InputNote
from tests.model_state import assert_same_state, model_state


@pytest.fixture(scope="module")
def inception():
    return torchvision.models.inception_v3(init_weights=False, aux_logits=False)


def test_maximize_below_the_architectures_minimum_upsamples_and_says_so(inception):
    before = model_state(inception)
    with pytest.warns(InputNote, match=r"64x64 picture is smaller .* upsampled to the minimum (\d+)x\1"):
        image = cnnwidget.maximize(inception, "Mixed_6c.branch7x7dbl_4.conv:0", size=64, steps=2, seed=0, progress=False)
    assert image.size == (64, 64)
    note = input_for(inception, 64).notes[0]
    minimum = int(note.rsplit("minimum ", 1)[1].split("x")[0])
    assert 64 < minimum < 224
    assert_same_state(before, model_state(inception))
    with pytest.raises(RuntimeError), torch.no_grad():  # the found minimum is tight: two pixels less fail in torch
        inception.eval()(torch.zeros(1, 3, minimum - 2, minimum - 2))


def test_deepdream_octaves_and_live_frames_below_the_minimum_work(inception):
    photo = np.random.default_rng(0).integers(0, 255, (80, 72, 3), dtype=np.uint8)
    with pytest.warns(InputNote, match="upsampled to the minimum"):
        dream = deepdream(inception, photo, layers="Conv2d_4a_3x3", octaves=3, steps=1, seed=0, progress=False)
    assert dream.size == (72, 80) and np.abs(np.asarray(dream, dtype=int) - photo).max() > 0
    frame = FrameDreamer(inception, "Mixed_6c", steps=1)(photo[:48, :48].copy())
    assert frame.shape == (48, 48, 3)


def mnist_like(channels: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(channels, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10),
    )


def test_one_channel_28px_model_sees_the_grey_level_and_shows_grey_pictures():
    torch.manual_seed(0)
    model = mnist_like(1)
    assert [i.name for i in cnnwidget.layers(model, 28)] == ["0", "1", "2", "3", "4", "5"]
    photo = np.random.default_rng(0).integers(0, 255, (28, 28, 3), dtype=np.uint8)
    pre = cnnwidget.Preprocess(size=28, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    acts = cnnwidget.activations(model, photo, "0", preprocess=pre)
    grey = (photo.astype(np.float32) / 255) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    expected = model[0](torch.from_numpy((grey - 0.5) / 0.5)[None, None]).detach()[0].numpy()
    np.testing.assert_allclose(acts, expected, rtol=1e-4, atol=1e-4)
    with pytest.warns(InputNote, match="1 channel: it is fed the picture's grey level"):
        image = cnnwidget.maximize(model, "3:2", size=28, steps=4, seed=0, progress=False)
    pixels = np.asarray(image)
    assert image.size == (28, 28) and (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all()
    assert pixels.std() > 0
    with pytest.warns(InputNote, match="grey level"):
        deepdream(model, photo, layers="3", octaves=1, steps=1, seed=0, progress=False)


def test_four_channel_model_gets_colours_then_grey():
    torch.manual_seed(0)
    model = mnist_like(4)
    x = torch.rand(1, 3, 28, 28)
    with capture_for(model, ["0"], 28) as capture, torch.no_grad():
        got = capture.run(x)["0"]
    grey = 0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:]
    with torch.no_grad():
        expected = model[0](torch.cat([x, grey], dim=1))
    torch.testing.assert_close(got, expected)
    assert "red, green, blue, then the grey level" in input_for(model, 28).notes[0]


def test_inputs_follow_the_model_to_its_device_and_dtype():
    model = mnist_like(3).to("meta")  # no data, but a device of its own: shapes flow, values do not
    found = {i.name: i.shape for i in cnnwidget.layers(model, 28)}
    assert found["3"] == (16, 14, 14)
    with capture_for(model, ["3"], 28) as capture:
        out = capture.run(torch.rand(1, 3, 28, 28))["3"]
    assert out.device.type == "meta" and out.shape == (1, 16, 14, 14)
    double = mnist_like(3).double()
    acts = cnnwidget.activations(double, np.zeros((28, 28, 3), np.uint8), "3", preprocess=cnnwidget.Preprocess(size=28))
    assert acts.dtype == np.float32 and acts.shape == (16, 14, 14)


def test_a_model_split_over_devices_gets_an_error_naming_the_fix():
    model = mnist_like(3)
    model[3].to("meta")
    model.train()
    with pytest.raises(DeviceError, match=r"several devices \(cpu, meta\).*model\.to\('meta'\)"):
        cnnwidget.layers(model, 28)
    with pytest.raises(DeviceError, match="move the whole model"):
        cnnwidget.maximize(model, "3:0", size=28, steps=1, progress=False)
    # (meta tensors cannot be compared by value: check that nothing was hooked or switched)
    assert all(m.training and not m._forward_hooks for m in model.modules())
    assert all(p.requires_grad and p.grad is None for p in model.parameters())
