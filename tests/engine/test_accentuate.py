"""accentuate(): the photo, changed a little, so that the unit fires more."""

import pytest
import torch

import cnnwidget
from cnnwidget.data.samples import sample
from cnnwidget.engine.accentuate import accentuate
from cnnwidget.engine.objectives import ObjectiveError
from cnnwidget.engine.preprocessing import to_tensor
from cnnwidget.models import load_model
from tests.model_state import assert_same_state, model_state

UNIT = "stage3.conv2:7"


@pytest.fixture(scope="module")
def model():
    return load_model("default")


@pytest.fixture(scope="module")
def result(model):
    return accentuate(model, sample("chelsea"), UNIT, steps=24, size=128, budget=0.2, seed=0)


def test_the_unit_fires_more_on_the_accentuated_photo(model, result):
    assert result.after > 1.5 * result.before > 0
    measured = cnnwidget.activations(model, result.image, "stage3.conv2")[7].mean()
    assert abs(float(measured) - result.after) < 0.05 * result.after + 1e-3


def test_every_pixel_stays_within_the_budget_of_the_photo(result):
    change = to_tensor(result.image) - to_tensor(result.photo)
    assert float(change.abs().max()) <= 0.2 + 1 / 255
    assert result.max_change == pytest.approx(float(change.abs().max()), abs=1e-6)
    assert 0.01 < result.rms_change < 0.2  # changed, but mostly near the photo


def test_more_closeness_means_a_smaller_change(model, result):
    close = accentuate(model, sample("chelsea"), UNIT, steps=24, size=128, budget=0.2, closeness=20.0, seed=0)
    assert close.rms_change < 0.7 * result.rms_change
    assert close.after > close.before


def test_the_model_is_left_as_found(model):
    before = model_state(model)
    accentuate(model, sample("coffee"), UNIT, steps=2, size=64)
    assert_same_state(before, model_state(model))


def test_bad_arguments_name_the_fix(model):
    with pytest.raises(ValueError, match="budget"):
        accentuate(model, sample("chelsea"), UNIT, budget=0)
    with pytest.raises(ObjectiveError):
        accentuate(model, sample("chelsea"), "stage3.conv2:9999")
    with pytest.raises(TypeError, match="torch.nn.Module"):
        accentuate("model", sample("chelsea"), UNIT)


def test_exported_at_the_top():
    assert cnnwidget.accentuate is accentuate


def test_callback_sees_every_step_and_cancel_stops(model):
    import threading

    seen = []
    cancel = threading.Event()

    def callback(step, pixels, value):
        seen.append((step, tuple(pixels.shape), value))
        if step == 3:
            cancel.set()

    out = accentuate(model, sample("chelsea"), UNIT, steps=10, size=64, cancel=cancel, callback=callback)
    assert [s for s, _, _ in seen] == [1, 2, 3]
    assert all(shape == (1, 3, 64, 64) for _, shape, _ in seen)
    assert out.image.size == (64, 64)
