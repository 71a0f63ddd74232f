"""maximize / Maximizer: it climbs, obeys its options, and leaves the model exactly as found."""

import threading
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image
from torch import nn

import cnnwidget
from cnnwidget.engine import objectives as obj
from cnnwidget.engine.layer_catalog import LayerError
from cnnwidget.engine.maximize import CALLBACK_EVERY, Maximizer, maximize
from cnnwidget.engine.objectives import ObjectiveError
from tests.model_state import assert_same_state
from tests.model_state import model_state as state_of


def small_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(3, 8, 5, padding=2),
            relu1=nn.ReLU(inplace=True),
            pool=nn.MaxPool2d(2),
            conv2=nn.Conv2d(8, 16, 3, padding=1),
            bn=nn.BatchNorm2d(16),
            relu2=nn.ReLU(),
            head=nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 4)),
        )
    )


@pytest.fixture(scope="module")
def resnet():
    torch.manual_seed(0)
    return torchvision.models.resnet18()


def prepared_net():
    """A model in an awkward state: training mode, one frozen layer, a user hook."""
    model = small_net()
    model.train()
    model.conv1.requires_grad_(False)
    model.head.eval()
    model.conv2.register_forward_hook(lambda m, i, o: None)
    return model


def test_objective_rises_several_fold_on_a_small_net():
    model = small_net()
    engine = Maximizer(model, "conv2:3", steps=32, size=48, seed=0)
    start = float(engine.evaluate())
    engine.run()
    end = float(engine.evaluate())
    assert end > start + 3 * abs(start) + 0.1, (start, end)


def test_resnet_unit_rises_several_fold(resnet):
    engine = Maximizer(resnet, "layer2.1:3", steps=24, size=64, seed=0)
    start = float(engine.evaluate())
    engine.run()
    assert float(engine.evaluate()) > 3 * start > 0


def test_returns_a_pil_image_of_the_requested_size():
    img = maximize(small_net(), "conv2:1", steps=4, size=40, seed=0, progress=False)
    assert isinstance(img, Image.Image) and img.size == (40, 40) and img.mode == "RGB"


def test_batch_returns_a_list():
    images = maximize(small_net(), obj.channel("conv2", 1) + 0.1 * obj.diversity("conv2"), steps=4, size=32,
                      batch=3, seed=0, progress=False)
    assert isinstance(images, list) and len(images) == 3
    assert all(i.size == (32, 32) for i in images)


def test_a_list_of_objectives_is_one_batch_with_one_picture_each():
    model = small_net()
    engine = Maximizer(model, ["conv2:2", "conv2:5"], steps=32, size=48, seed=0)
    assert engine.param.batch == 2
    engine.run()
    pictures = engine.pixels()
    score = lambda c: obj.channel("conv2", c)  # noqa: E731
    # each picture excites its own unit more than the other picture does
    with torch.no_grad():
        acts = cnnwidget.engine.layer_outputs(model, cnnwidget.engine.preprocessing.Preprocess().normalize(pictures), ["conv2"])
    own = [score(2)(acts)[0], score(5)(acts)[1]]
    other = [score(2)(acts)[1], score(5)(acts)[0]]
    assert own[0] > other[0] and own[1] > other[1]


def test_list_with_a_batch_is_refused():
    with pytest.raises(ValueError, match="leave batch at 1"):
        Maximizer(small_net(), ["conv2:1", "conv2:2"], batch=3)


def test_model_is_left_exactly_as_found():
    model = prepared_net()
    before = state_of(model)
    maximize(model, "conv2:3", steps=3, size=32, seed=0, progress=False)
    maximize(model, "relu2:3", steps=3, size=32, seed=0, progress=False)  # runs the ReLU redirect
    assert_same_state(before, state_of(model))


def test_model_is_restored_when_the_callback_raises():
    model = prepared_net()
    before = state_of(model)

    def boom(step, image, value):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        maximize(model, "relu2:3", steps=20, size=32, seed=0, callback=boom, progress=False)
    assert_same_state(before, state_of(model))


def test_model_is_restored_when_iteration_is_abandoned():
    model = prepared_net()
    before = state_of(model)
    engine = Maximizer(model, "relu2:3", steps=20, size=32, seed=0)
    for step in engine:
        if step.step == 2:
            break
    engine.close()
    assert_same_state(before, state_of(model))


def test_cancel_stops_within_one_step_and_returns_the_current_picture():
    model = prepared_net()
    before = state_of(model)
    cancel = threading.Event()
    seen = []

    def callback(step, image, value):
        seen.append(step)
        cancel.set()

    img = maximize(model, "conv2:3", steps=200, size=32, seed=0, callback=callback, cancel=cancel, progress=False)
    assert seen == [CALLBACK_EVERY]
    assert isinstance(img, Image.Image)
    assert_same_state(before, state_of(model))


def test_callback_every_few_steps_and_at_the_end():
    calls = []
    maximize(small_net(), "conv2:3", steps=20, size=32, seed=0, progress=False,
             callback=lambda s, im, v: calls.append((s, im.size, type(v))))
    assert [c[0] for c in calls] == [8, 16, 20]
    assert all(c[1] == (32, 32) and c[2] is float for c in calls)


def test_forward_stops_at_the_deepest_objective_layer(resnet):
    ran = []
    handle = resnet.layer4.register_forward_hook(lambda m, i, o: ran.append(1))
    try:
        maximize(resnet, "layer2.0.conv1:0", steps=2, size=64, seed=0, progress=False)
    finally:
        handle.remove()
    assert ran == []


def test_image_start_decodes_to_the_photo():
    photo = torch.rand(3, 40, 40, generator=torch.Generator().manual_seed(1)) * 0.8 + 0.1
    photo = (photo * 255).round() / 255  # what an 8-bit picture holds
    for param in ("fft", "pixel"):
        engine = Maximizer(small_net(), "conv2:0", size=40, image=photo, param=param, seed=0)
        assert torch.allclose(engine.pixels()[0], photo, atol=1e-4), param


def test_image_start_stays_close_to_the_photo_for_a_few_steps():
    photo = torch.rand(3, 48, 48, generator=torch.Generator().manual_seed(2))
    img = maximize(small_net(), "conv2:0", steps=3, size=48, image=photo, seed=0, progress=False)
    pixels = cnnwidget.engine.preprocessing.to_tensor(img)
    assert (pixels - photo).abs().mean() < 0.1


def test_custom_transforms_one_or_two_arguments():
    calls = []

    def flip(x):
        calls.append("flip")
        return x.flip(-1)

    def shift(x, generator):
        calls.append("shift")
        return x.roll(int(torch.randint(3, (1,), generator=generator)), -1)

    maximize(small_net(), "conv2:0", steps=2, size=32, transforms=[flip, shift], seed=0, progress=False)
    assert calls == ["flip", "shift", "flip", "shift"]


def test_pixel_parameterization_and_no_transforms_run():
    img = maximize(small_net(), "conv2:0", steps=3, size=32, param="pixel", transforms="none",
                   decorrelate=False, seed=0, progress=False)
    assert img.size == (32, 32)


def test_unknown_layer_names_close_matches():
    with pytest.raises(LayerError, match="conv2"):
        maximize(small_net(), "conv3:0", steps=1, size=32, progress=False)


def test_channel_out_of_range_names_the_range():
    with pytest.raises(ObjectiveError, match=r"use 0\.\.15"):
        maximize(small_net(), "conv2:16", steps=1, size=32, progress=False)


def test_bad_options_name_the_fix():
    with pytest.raises(ValueError, match="'fft'"):
        Maximizer(small_net(), "conv2:0", param="wavelet")
    with pytest.raises(ValueError, match="'standard'"):
        Maximizer(small_net(), "conv2:0", transforms="fancy")
    with pytest.raises(TypeError, match="nn.Module"):
        Maximizer("resnet18", "conv2:0")


def test_top_level_exports():
    assert cnnwidget.maximize is maximize
    assert cnnwidget.objectives.channel is obj.channel
    assert callable(cnnwidget.deepdream)


def test_no_seed_leaves_torch_global_random_state_alone():
    model = small_net()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    maximize(model, "conv2:0", steps=1, size=32, progress=False)
    assert torch.equal(torch.rand(3), expected)


def test_maximize_takes_every_maximizer_option_and_gives_its_picture():
    from cnnwidget.engine.maximize import MAXIMIZER_OPTIONS
    from cnnwidget.engine.preprocessing import Preprocess

    assert {"preprocess", "precision", "seeds", "schedule", "lr", "cancel"} <= set(MAXIMIZER_OPTIONS)
    options = dict(steps=3, size=32, seed=1, preprocess=Preprocess(size=32, mean=(0.5,) * 3, std=(0.25,) * 3),
                   precision="float32", schedule="constant")
    img = maximize(small_net(), "conv2:1", progress=False, **options)
    engine = Maximizer(small_net(), "conv2:1", **options)
    engine.run()
    assert torch.equal(torch.as_tensor(np.asarray(img)), torch.as_tensor(np.asarray(engine.images()[0])))
    other = maximize(small_net(), "conv2:1", progress=False, **{**options, "preprocess": None})
    assert not torch.equal(torch.as_tensor(np.asarray(img)), torch.as_tensor(np.asarray(other)))


def test_maximize_names_the_valid_options():
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['stepz'\]; valid: steps, size"):
        maximize(small_net(), "conv2:1", stepz=3, progress=False)
