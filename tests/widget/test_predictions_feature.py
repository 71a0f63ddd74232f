"""The explorer's predictions: top-5 of every new picture, and a class click that draws the class."""

import numpy as np
import torch
import pytest

from cnnwidget import CNNExplorer
from cnnwidget.widget import protocol
from cnnwidget.data.synthetic import CLASSES, make_batch
from cnnwidget.models.default_model import default_model
from tests.model_state import assert_same_state, model_state


@pytest.fixture(scope="module")
def net():
    return default_model()


@pytest.fixture
def explorer(net):
    images, _ = make_batch(1, seed=3, labels=torch.tensor([7]))
    ex = CNNExplorer(net, image=images[0], layer="stage2")
    ex.maximize_options = {**ex.maximize_options, "steps": 4, "size": 64}
    sent = []
    ex.send = lambda content, buffers=None: sent.append((content, buffers))
    yield ex
    ex.close()


def test_predictions_follow_every_new_picture(explorer):
    rows = explorer.predictions
    assert len(rows) == 5 and rows[0].index == 7 and rows[0].name == "stripes_vertical"
    assert [p.probability for p in rows] == sorted((p.probability for p in rows), reverse=True)
    images, _ = make_batch(1, seed=4, labels=torch.tensor([3]))
    explorer.set_image(images[0])
    assert explorer.predictions[0].index == 3 and explorer.predictions[0].name == CLASSES[3]


def test_a_class_click_maximizes_that_class_and_leaves_the_model_as_found(explorer, net):
    before = model_state(net)
    explorer._on_browser_message(explorer, {"type": protocol.MAXIMIZE_CLASS, "class": 4}, [])
    assert explorer.error == ""
    job = explorer._runner.current
    assert job is not None and job.wait(timeout=120)
    state = explorer.maximize_state
    assert state["status"] == "done" and state["unit"] == ["logits", 4], state
    assert explorer.maximized is not None and explorer.maximized.size == (64, 64)
    assert_same_state(before, model_state(net))
    with pytest.raises(ValueError, match="class 12 is out of range"):
        explorer.maximize_class(12)


def test_a_model_without_class_scores_shows_no_predictions():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU())
    ex = CNNExplorer(model, image=torch.rand(3, 64, 64))
    try:
        assert ex.predictions == []
    finally:
        ex.close()


def test_predictions_follow_each_live_frame(explorer):
    pictures, _ = make_batch(2, seed=8, labels=torch.tensor([5, 10]))
    for picture, label in zip(pictures, (5, 10)):
        frame = (picture.permute(1, 2, 0).numpy() * 255).round().astype("uint8")
        explorer.feed(frame)
        assert explorer.predictions[0].index == label and explorer.predictions[0].name == CLASSES[label]


def test_predictions_follow_every_live_camera_frame_not_a_few_a_second(explorer):
    pictures, _ = make_batch(4, seed=9, labels=torch.tensor([2, 6, 2, 9]))
    for i, (picture, label) in enumerate(zip(pictures, (2, 6, 2, 9))):
        rgb = (picture.permute(1, 2, 0).numpy() * 255).round().astype("uint8")
        rgba = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)
        content = {"type": "frame", "id": i, "width": rgb.shape[1], "height": rgb.shape[0], "t": 0.0}
        explorer._on_browser_message(explorer, content, [rgba.tobytes()])  # camera frames, back to back
        assert explorer._live_worker.wait_idle(timeout=60)
        assert explorer.predictions[0].index == label and explorer.predictions[0].name == CLASSES[label]
