"""Adebayo et al. (2018)'s model-parameter randomization check, on the shipped default model.

The figures this test measures are in docs/attribution.md; the verdicts must match
``cnnwidget.engine.attribution.SANITY``, which the widget's method picker shows.
"""

import numpy as np
import pytest
import torch

from cnnwidget.data.synthetic import make_batch
from cnnwidget.engine.attribution import METHODS, SANITY
from cnnwidget.engine.attribution_sanity import randomization_check, randomized_copy, rank_correlation
from cnnwidget.models.default_model import default_model
from tests.model_state import assert_same_state, model_state

TOP = ("classifier", "stage4")
OPTIONS = {"steps": 16, "window": 32, "stride": 16}


@pytest.fixture(scope="module")
def net():
    return default_model()


def test_rank_correlation_ranks_ties_by_their_mean():
    a = np.array([0.0, 0.0, 1.0, 2.0])
    assert rank_correlation(a, a * 10 + 3) == pytest.approx(1.0)
    assert rank_correlation(a, -a) == pytest.approx(-1.0)
    assert rank_correlation(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 1.0, 2.0, 2.0])) == pytest.approx(0.894427, abs=1e-6)
    assert rank_correlation(a, np.ones(4)) == 0.0


def test_randomized_copy_changes_only_the_named_modules(net):
    before = model_state(net)
    copy = randomized_copy(net, TOP, seed=1)
    assert_same_state(before, model_state(net))
    assert not torch.equal(copy.classifier.weight, net.classifier.weight)
    assert not torch.equal(copy.stage4.conv2.conv.weight, net.stage4.conv2.conv.weight)
    assert torch.equal(copy.stage3.conv2.conv.weight, net.stage3.conv2.conv.weight)
    assert torch.equal(copy.stage4.conv1.bn.running_var, torch.ones(256))
    assert torch.equal(randomized_copy(net, None, seed=1).stem.conv.weight, randomized_copy(net, None, seed=1).stem.conv.weight)


@pytest.mark.parametrize("method", METHODS)
def test_model_parameter_randomization(net, method):
    pictures, labels = make_batch(4, seed=11, labels=torch.tensor([0, 3, 7, 10]))
    before = model_state(net)
    figures = randomization_check(
        net, pictures, labels.tolist(), method, top=TOP, normalize=net.cnnwidget_preprocess.normalize, **OPTIONS
    )
    assert_same_state(before, model_state(net))
    print(figures)
    assert figures.same_model == pytest.approx(1.0)  # all four methods are deterministic here
    assert figures.passes == SANITY[method], figures
    if method in ("gradcam", "integrated_gradients", "occlusion"):
        assert figures.passes
