"""The widget's attribution method picker and class target, from the Python side."""

import numpy as np
import pytest
import torch

from cnnwidget import CNNExplorer
from cnnwidget.data.synthetic import make_batch
from cnnwidget.engine.attribution import SANITY
from cnnwidget.models.default_model import default_model
from tests.model_state import assert_same_state, model_state


@pytest.fixture(scope="module")
def net():
    return default_model()


@pytest.fixture
def explorer(net):
    pictures, _ = make_batch(1, seed=3, labels=torch.tensor([1]))
    ex = CNNExplorer(net, image=pictures[0], layer="stage3", auto_maximize=False)  # no maximization holding the model
    yield ex
    ex.close()


def heat(ex) -> np.ndarray:
    meta = ex.attribution_meta
    return np.frombuffer(ex.attribution, dtype=np.uint8).reshape(meta["height"], meta["width"])


def test_the_picker_lists_every_method_with_its_sanity_verdict(explorer):
    listed = {m["name"]: m["sane"] for m in explorer.attribution_methods}
    assert listed == SANITY and listed["guided_backprop"] is False
    with pytest.raises(ValueError, match="unknown attribution method 'lime'"):
        explorer.attribution_method = "lime"


def test_methods_and_a_class_target_give_their_own_maps(explorer, net):
    before = model_state(net)
    explorer.selected = ("stage3", 5)
    explorer.show_attribution = True
    unit_cam = heat(explorer).copy()
    assert explorer.attribution_meta["method"] == "gradcam" and explorer.attribution_meta["class"] == -1
    explorer.attribution_class = 1
    class_cam = heat(explorer).copy()
    assert explorer.attribution_meta["class"] == 1 and not np.array_equal(unit_cam, class_cam)
    explorer.attribution_method = "guided_backprop"
    assert explorer.attribution_meta["method"] == "guided_backprop" and not np.array_equal(heat(explorer), class_cam)
    assert_same_state(before, model_state(net))


def test_long_methods_run_in_the_background_with_progress_and_stop_when_switched_off(explorer, net):
    before = model_state(net)
    states = []
    explorer.observe(lambda c: states.append(dict(c.new)), "attribution_state")
    explorer.attribution_class = 1
    explorer.show_attribution = True
    explorer.attribution_method = "occlusion"
    job = explorer._attribution_runner.current
    assert job is not None and job.wait(timeout=300)
    assert explorer.attribution_state["status"] == "done" and explorer.attribution_meta["method"] == "occlusion"
    progress = [s["done"] for s in states if s["status"] == "running" and s["total"]]
    assert progress and progress == sorted(progress) and states[-1]["done"] == states[-1]["total"] > 1
    explorer.attribution_method = "integrated_gradients"
    job = explorer._attribution_runner.current
    explorer.show_attribution = False  # cancels the running job
    assert job.wait(timeout=60)
    assert explorer.attribution_state["status"] in ("cancelled", "done")
    assert explorer.attribution_meta["method"] == "occlusion" or explorer.attribution_state["status"] == "done"
    assert_same_state(before, model_state(net))
