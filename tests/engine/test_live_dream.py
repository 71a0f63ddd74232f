import numpy as np
import torch
import torchvision

from cnnwidget.engine.capture import LayerCapture
from cnnwidget.engine.live_dream import FrameDreamer
from cnnwidget.engine.preprocessing import Preprocess
from tests.model_state import assert_same_state, model_state


def layer_energy(model, frame, layer):
    x = Preprocess().normalize(torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255)
    with torch.no_grad(), LayerCapture(model, [layer]) as cap:
        return float(cap.run(x)[layer].pow(2).mean())


def test_dreaming_raises_the_layer_energy_and_carries_over_frames(photo):
    model = torchvision.models.resnet18().eval()
    frame = np.ascontiguousarray(photo[:128, :128])
    before = model_state(model)
    dreamer = FrameDreamer(model, "layer2", steps=3, lr=0.03)
    first = dreamer(frame)
    assert first.shape == frame.shape and first.dtype == np.uint8
    assert np.abs(first.astype(int) - frame).mean() > 1.0  # the dream differs from the camera
    assert layer_energy(model, first, "layer2") > layer_energy(model, frame, "layer2")
    second = dreamer(frame)
    # the second frame starts from the first dream: it drifts further from the camera
    assert np.abs(second.astype(int) - frame).mean() > np.abs(first.astype(int) - frame).mean()
    assert_same_state(before, model_state(model))


def test_both_precisions_dream_alike_and_leave_the_model_alone(photo):
    model = torchvision.models.resnet18().eval()
    frame = np.ascontiguousarray(photo[:96, :96])
    before = model_state(model)
    dreams = {p: FrameDreamer(model, "layer2", steps=2, lr=0.03, precision=p)(frame) for p in ("float32", "bfloat16")}
    for dream in dreams.values():
        assert layer_energy(model, dream, "layer2") > layer_energy(model, frame, "layer2")
    change = {p: d.astype(int) - frame for p, d in dreams.items()}
    # the same direction of change: bfloat16 only perturbs the gradient a little
    assert np.corrcoef(change["float32"].ravel(), change["bfloat16"].ravel())[0, 1] > 0.8
    assert_same_state(before, model_state(model))
