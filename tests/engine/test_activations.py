import numpy as np
import pytest
import torch
import torchvision
from PIL import Image
from torch import nn

import cnnwidget
from cnnwidget.engine import Preprocess, layer_outputs
from tests.model_state import assert_same_state, model_state


class HandNet(nn.Module):
    """conv (known weights) -> ReLU -> 2x2 max-pool -> conv that must never run for 'relu'."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, kernel_size=1, bias=True)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.weight[0, 0, 0, 0] = 1.0  # channel 0 = red - 0.5
            self.conv.weight[1, 2, 0, 0] = -2.0  # channel 1 = -2 * blue + 1
            self.conv.bias.copy_(torch.tensor([-0.5, 1.0]))
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.late = nn.Conv2d(2, 2, 1)
        self.late_calls = 0
        self.late.register_forward_pre_hook(self._count)

    def _count(self, *_):
        self.late_calls += 1

    def forward(self, x):
        return self.late(self.pool(self.relu(self.conv(x))))


def identity_preprocess(image):
    arr = np.asarray(image, dtype=np.float32) / 255.0
    return torch.from_numpy(arr).permute(2, 0, 1)


def test_activations_match_hand_computation_and_stop_early():
    rgb = np.zeros((4, 4, 3), dtype=np.uint8)
    rgb[..., 0] = np.arange(16).reshape(4, 4) * 16  # red ramp
    rgb[..., 2] = 255
    rgb[0, 0, 2] = 0
    net = HandNet()
    net.late_calls = 0
    out = cnnwidget.activations(net, rgb, ["relu", "pool"], preprocess=identity_preprocess)
    red = rgb[..., 0] / 255.0
    blue = rgb[..., 2] / 255.0
    expected = np.stack([np.maximum(red - 0.5, 0), np.maximum(1 - 2 * blue, 0)]).astype(np.float32)
    np.testing.assert_allclose(out["relu"], expected, atol=1e-6)
    np.testing.assert_allclose(out["pool"], expected.reshape(2, 2, 2, 2, 2).max(axis=(2, 4)), atol=1e-6)
    assert out["relu"].dtype == np.float32
    # layers() traced once, but the activations call itself stopped before `late`
    calls_before = net.late_calls
    cnnwidget.activations(net, rgb, "relu", preprocess=identity_preprocess)
    assert net.late_calls == calls_before


@pytest.mark.parametrize("kind", ["pil", "uint8", "float", "tensor", "path", "gray"])
def test_image_forms_give_the_same_activations(kind, photo, tmp_path):
    model = torchvision.models.resnet18()
    reference = cnnwidget.activations(model, Image.fromarray(photo), "layer2")
    if kind == "pil":
        image = Image.fromarray(photo)
    elif kind == "uint8":
        image = photo
    elif kind == "float":
        image = photo.astype(np.float32) / 255.0
    elif kind == "tensor":
        image = torch.from_numpy(photo).permute(2, 0, 1).float() / 255.0
    elif kind == "path":
        path = tmp_path / "p.png"
        Image.fromarray(photo).save(path)
        image = str(path)
    else:
        gray = photo.mean(axis=2).astype(np.uint8)
        out = cnnwidget.activations(model, gray, "layer2")
        assert out.shape == reference.shape
        return
    np.testing.assert_allclose(cnnwidget.activations(model, image, "layer2"), reference, atol=1e-4)


def test_reused_module_reports_its_last_call():
    model = torchvision.models.resnet18()
    x = torch.randn(1, 3, 64, 64)
    out = layer_outputs(model, x, ["layer1.0.relu", "layer1.0"])
    torch.testing.assert_close(out["layer1.0.relu"], out["layer1.0"])


def test_weights_object_preprocessing_is_used(photo):
    weights = torchvision.models.ResNet18_Weights.IMAGENET1K_V1
    model = torchvision.models.resnet18()
    a = cnnwidget.activations(model, photo, "layer1", preprocess=weights)
    b = cnnwidget.activations(model, photo, "layer1", preprocess=weights.transforms())
    np.testing.assert_allclose(a, b)
    c = cnnwidget.activations(model, photo, "layer1", preprocess=Preprocess(size=96))
    assert c.shape == (64, 24, 24)


def test_model_attached_preprocess_is_used(photo):
    model = torchvision.models.resnet18()
    model.cnnwidget_preprocess = Preprocess(size=64)
    assert cnnwidget.activations(model, photo, "layer1").shape == (64, 16, 16)


def test_train_mode_batchnorm_model_is_left_exactly_as_found(photo):
    model = torchvision.models.resnet18().train()
    model.layer2[0].bn1.eval()  # mixed flags must survive too
    model.conv1.weight.requires_grad_(False)
    handle = model.layer1.register_forward_hook(lambda *a: None)
    model.fc.weight.grad = torch.ones_like(model.fc.weight)
    before = model_state(model)
    cnnwidget.activations(model, photo, ["layer1", "layer3"])
    assert_same_state(before, model_state(model))
    assert model.training and not model.layer2[0].bn1.training
    handle.remove()


def test_model_is_restored_when_the_forward_raises(photo):
    model = torchvision.models.resnet18().train()
    before = model_state(model)

    def boom(*_):
        raise RuntimeError("boom")

    handle = model.layer2.register_forward_hook(boom)
    before = model_state(model)
    with pytest.raises(RuntimeError, match="boom"):
        cnnwidget.activations(model, photo, "layer3")
    assert_same_state(before, model_state(model))
    handle.remove()


def test_half_precision_model_runs(photo):
    model = torchvision.models.resnet18().half()
    out = cnnwidget.activations(model, photo, "layer1")
    assert out.dtype == np.float32 and np.isfinite(out).all()
