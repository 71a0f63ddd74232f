import threading

import torch
import torchvision

from cnnwidget.engine import layer_outputs, preserved
from cnnwidget.engine.capture import LayerCapture
from cnnwidget.engine.model_guard import active_operations
from tests.model_state import assert_same_state, model_state


def test_nested_operations_restore_only_when_the_outermost_ends():
    model = torchvision.models.resnet18().train()
    before = model_state(model)
    with preserved(model):
        with preserved(model):
            assert not model.training
        assert not model.training and not model.conv1.weight.requires_grad  # inner exit undid nothing
        assert active_operations(model) == 1
    assert active_operations(model) == 0
    assert_same_state(before, model_state(model))


def test_a_capture_is_inert_for_other_forward_passes():
    model = torchvision.models.resnet18()
    x = torch.randn(1, 3, 64, 64)
    with preserved(model), torch.no_grad():
        with LayerCapture(model, ["layer1"]) as held:
            # a different operation between this capture's runs goes through its hooks untouched
            other = layer_outputs(model, x, ["layer3"])["layer3"]
            assert other.shape == (1, 256, 4, 4) and held.outputs == {}
            assert held.run(x)["layer1"].shape == (1, 64, 16, 16)


def test_concurrent_operations_from_two_threads_leave_the_model_as_found():
    model = torchvision.models.resnet18().train()
    before = model_state(model)
    errors = []

    def work(layer):
        try:
            for _ in range(5):
                out = layer_outputs(model, torch.randn(1, 3, 64, 64), [layer])[layer]
                assert out.dim() == 4
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("layer1", "layer4")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert_same_state(before, model_state(model))


def test_scripted_modules_get_a_clear_error():
    import pytest

    from cnnwidget.engine import layers

    scripted = torch.jit.script(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU()))
    with pytest.raises(TypeError, match="TorchScript module .* pass the original nn.Module"):
        layers(scripted, input_size=16)
