"""``ex.cancel()`` and ``ex.close()`` stop every kind of background work within one step.

A long attribution (Occlusion, Integrated Gradients) and an adversarial attack each run in a
lane of their own (:class:`~cnnwidget.widget.jobs.JobGroup`); the one cancel path must reach
them. Each test holds the worker at a known step (an observer of the progress trait waits
there until the job is asked to stop), cancels from the test's own thread, and counts the
steps done afterwards: no wall-clock figure is asserted.
"""

from __future__ import annotations

import threading

import pytest

import cnnwidget
from cnnwidget import CNNExplorer
from cnnwidget.widget import protocol
from cnnwidget.models.default_model import default_model
from tests.model_state import assert_same_state, model_state

HOLD_AT = 2
"""The step (forward pass, PGD step) at which the worker waits to be cancelled."""


@pytest.fixture(scope="module")
def net():
    return default_model()


@pytest.fixture
def explorer(net):
    ex = CNNExplorer(net, image=cnnwidget.samples()["chelsea"], layer="stage2", auto_maximize=False)
    yield ex
    ex.close()


def hold(explorer, trait: str, runner_name: str, count_key: str) -> threading.Event:
    """Make the worker wait at step ``HOLD_AT`` until its job is cancelled; the event says it got there."""
    reached = threading.Event()

    def observe(change) -> None:
        state = change.new
        if state.get("status") == "running" and state.get(count_key) == HOLD_AT and not reached.is_set():
            job = getattr(explorer, runner_name).current
            reached.set()
            job.cancel.wait(120)  # held here, in the worker, until the test cancels

    explorer.observe(observe, trait)
    return reached


def start_attribution(explorer, method: str):
    reached = hold(explorer, "attribution_state", "_attribution_runner", "done")
    explorer.attribution_class = 1
    explorer.attribution_method = method
    explorer.show_attribution = True
    return explorer._attribution_runner.current, reached


@pytest.mark.parametrize("method", ["occlusion", "integrated_gradients"])
def test_cancel_stops_a_long_attribution_at_its_next_pass(explorer, net, method):
    before = model_state(net)
    job, reached = start_attribution(explorer, method)
    assert job is not None and job.kind == "attribution"
    assert reached.wait(120)
    total = explorer.attribution_state["total"]
    assert total > HOLD_AT  # the run had more passes to go
    assert explorer.cancel() == [job]
    assert job.wait(120)
    state = explorer.attribution_state
    assert state["status"] == "cancelled" and state["method"] == method
    assert state["done"] <= HOLD_AT + 1 < total  # ended within one pass of the request
    assert explorer.attribution == b"" and explorer.attribution_meta == {}  # the stopped run published no map
    assert explorer.error == ""
    assert_same_state(before, model_state(net))


def test_cancel_stops_the_adversarial_attack_at_its_next_step(explorer, net):
    before = model_state(net)
    reached = hold(explorer, "adversarial_state", "_adversarial_runner", "step")
    job = explorer.adversarial(11, eps=1 / 255, steps=400)  # one grey level: far from reached in 3 steps
    assert reached.wait(120)
    assert explorer.cancel("adversarial") == [job]
    assert job.wait(120)
    state = explorer.adversarial_state
    assert state["status"] == "cancelled" and state["steps"] == 400
    assert state["step"] <= HOLD_AT + 1
    assert explorer.adversarial_result is None and explorer.adversarial_image == b""
    assert_same_state(before, model_state(net))


def test_the_browser_cancel_message_reaches_the_attribution_and_names_unknown_kinds(explorer, net):
    before = model_state(net)
    job, reached = start_attribution(explorer, "occlusion")
    assert reached.wait(120)
    explorer._on_browser_message(explorer, {"type": protocol.CANCEL, "job": "maximize"}, [])
    assert not job.cancel.is_set()  # another kind: the attribution runs on
    explorer._on_browser_message(explorer, {"type": protocol.CANCEL, "job": "lime"}, [])
    assert "unknown job kind 'lime'" in explorer.error and not job.cancel.is_set()
    explorer._on_browser_message(explorer, {"type": protocol.CANCEL, "job": "attribution"}, [])
    assert job.wait(120)
    assert explorer.attribution_state["status"] == "cancelled"
    assert explorer.attribution_state["done"] <= HOLD_AT + 1
    assert_same_state(before, model_state(net))


def test_close_stops_an_attribution_and_an_attack_running_together(explorer, net):
    before = model_state(net)
    attribution, held_attribution = start_attribution(explorer, "occlusion")
    held_attack = hold(explorer, "adversarial_state", "_adversarial_runner", "step")
    attack = explorer.adversarial(11, eps=1 / 255, steps=400)
    assert held_attribution.wait(120) and held_attack.wait(120)
    explorer.close()
    assert attribution.wait(120) and attack.wait(120)
    assert explorer.attribution_state["status"] == "cancelled" and explorer.attribution_state["done"] <= HOLD_AT + 1
    assert explorer.adversarial_state["status"] == "cancelled" and explorer.adversarial_state["step"] <= HOLD_AT + 1
    with pytest.raises(RuntimeError, match="closed"):
        explorer.adversarial(11)
    assert_same_state(before, model_state(net))
