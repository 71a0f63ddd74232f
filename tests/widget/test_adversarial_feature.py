"""\"Make it say X\" in the explorer, from the Python side."""

import pytest
import torch

import cnnwidget
from cnnwidget import CNNExplorer
from cnnwidget.widget import protocol
from cnnwidget.models.default_model import default_model
from tests.model_state import assert_same_state, model_state


@pytest.fixture(scope="module")
def net():
    return default_model()


@pytest.fixture
def explorer(net):
    ex = CNNExplorer(net, image=cnnwidget.samples()["chelsea"], layer="stage2")
    yield ex
    ex.close()


def test_a_browser_request_makes_the_picture_say_the_class(explorer, net):
    before = model_state(net)
    assert explorer.classes == net.cnnwidget_classes
    explorer._on_browser_message(explorer, {"type": protocol.ADVERSARIAL, "class": 11, "eps": 8}, [])
    assert explorer.error == ""
    assert explorer._adversarial_runner.current.wait(timeout=300)
    state = explorer.adversarial_state
    assert state["status"] == "done" and state["reached"] and state["target"] == 11 and state["eps"] == 8
    assert state["predictions"][0][0] == 11 and 1 <= state["step"] <= 40
    assert state["max_change"] <= 8 + 1e-3 and state["gain"] == pytest.approx(127.5 / state["max_change"], rel=1e-2)
    result = explorer.adversarial_result
    assert result.reached and result.perturbation.abs().max() <= 8 / 255 + 1e-6
    assert explorer.adversarial_image[:4] == b"\x89PNG" and explorer.adversarial_perturbation[:4] == b"\x89PNG"
    assert_same_state(before, model_state(net))


def test_bad_requests_name_the_fix(explorer):
    with pytest.raises(ValueError, match="use 0..11"):
        explorer.adversarial(12)
    with pytest.raises(ValueError, match="1..64 grey levels"):
        explorer.adversarial(3, eps=100 / 255)
    explorer._on_browser_message(explorer, {"type": protocol.ADVERSARIAL, "class": 99, "eps": 8}, [])
    assert "out of range" in explorer.error


def test_a_model_without_class_scores_offers_no_classes():
    ex = CNNExplorer(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU()), image=torch.rand(3, 64, 64))
    try:
        assert ex.classes == []
        with pytest.raises(ValueError, match="no class to aim for"):
            ex.adversarial(0)
    finally:
        ex.close()
