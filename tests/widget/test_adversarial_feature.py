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
    with pytest.raises(ValueError, match=r"adversarial eps must be a number in \(0, 64\] \(the L-infinity budget in grey levels"):
        explorer.adversarial(3, eps=100 / 255)
    with pytest.raises(ValueError, match="adversarial steps must be a whole number from 1 to 500"):
        explorer.adversarial(3, steps=0)
    explorer._on_browser_message(explorer, {"type": protocol.ADVERSARIAL, "class": 99, "eps": 8}, [])
    assert "out of range" in explorer.error
    explorer._on_browser_message(explorer, {"type": protocol.ADVERSARIAL, "class": 3, "eps": 65}, [])
    assert "eps must be a number in (0, 64]" in explorer.error
    with pytest.raises(Exception, match="steps must be a whole number from 1 to 500"):
        explorer.adversarial_options = {**explorer.adversarial_options, "steps": 501}
    assert explorer.adversarial_state == {"status": "idle"}  # nothing was started


def test_the_budget_and_steps_come_from_the_one_declaration(explorer):
    from cnnwidget.widget.adversarial import ADVERSARIAL_OPTIONS

    specs = {s["key"]: s for s in explorer.option_specs["adversarial"]}
    assert set(specs) == {"eps", "steps"}  # the class is drawn from `classes`
    assert (specs["eps"]["min"], specs["eps"]["max"], specs["eps"]["default"]) == (1, 64, 8)
    assert (specs["steps"]["min"], specs["steps"]["max"], specs["steps"]["default"]) == (1, 500, 40)
    assert explorer.adversarial_options == ADVERSARIAL_OPTIONS.defaults() == {"class": 0, "eps": 8, "steps": 40}
    explorer.adversarial_options = {"class": 0, "eps": 2, "steps": 3}  # what the panel's controls write
    job = explorer.adversarial(11)  # the panel's choice is the default
    assert job.wait(timeout=300)
    state = explorer.adversarial_state
    assert state["eps"] == 2 and state["steps"] == 3 and 1 <= state["step"] <= 3
    assert explorer.adversarial_result.perturbation.abs().max() <= 2 / 255 + 1e-6


def test_a_model_without_class_scores_offers_no_classes():
    ex = CNNExplorer(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU()), image=torch.rand(3, 64, 64))
    try:
        assert ex.classes == []
        with pytest.raises(ValueError, match="no class to aim for"):
            ex.adversarial(0)
    finally:
        ex.close()
