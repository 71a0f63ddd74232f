"""The offline default model: loads without network, has learned smooth filters, keeps its accuracy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

import cnnwidget
from cnnwidget.data import CLASSES, make_batch
from cnnwidget.models import DEFAULT_WEIGHTS, DefaultNet, default_model

MODEL_CARD = Path(__file__).resolve().parents[2] / "docs" / "default-model.md"
FRESH_SEED = 2_718_281  # neither the training stream (0) nor the recorded held-out set


@pytest.fixture(scope="module")
def model():
    return default_model()


@pytest.fixture(scope="module")
def checkpoint():
    return torch.load(DEFAULT_WEIGHTS, map_location="cpu", weights_only=True)


def test_it_loads_offline_in_eval_mode_with_its_preprocessing(model):
    # tests/models/conftest.py blocks every socket for this test.
    assert isinstance(model, DefaultNet) and not model.training
    pre = model.cnnwidget_preprocess
    assert pre == cnnwidget.Preprocess(size=128, mean=pre.mean, std=pre.std)
    assert model.cnnwidget_classes == list(CLASSES)
    assert model(torch.zeros(2, 3, 128, 128)).shape == (2, len(CLASSES))


def test_it_is_compact_and_ships_small(model):
    params = sum(p.numel() for p in model.parameters())
    assert 1_000_000 <= params <= 3_000_000
    assert DEFAULT_WEIGHTS.stat().st_size <= 5_000_000


def test_its_stages_are_the_layers_a_user_sees(model):
    names = [layer.name for layer in cnnwidget.layers(model, 128)]
    for stage in ("stem", "stage1", "stage2", "stage3", "stage4"):
        assert stage in names
    convs = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 9 and all(isinstance(m, torch.nn.BatchNorm2d) for n, m in model.named_modules() if n.endswith(".bn"))


def high_frequency_share(weight: torch.Tensor) -> float:
    """Mean over filters of neighbour-difference energy relative to the filter's variance.

    About 1 for white noise (neighbours independent), near 0 for smooth filters.
    """
    w = weight.detach().float()
    w = w - w.mean(dim=(1, 2, 3), keepdim=True)
    dx = (w[..., :, 1:] - w[..., :, :-1]).pow(2).mean(dim=(1, 2, 3))
    dy = (w[..., 1:, :] - w[..., :-1, :]).pow(2).mean(dim=(1, 2, 3))
    var = w.pow(2).mean(dim=(1, 2, 3))
    return ((dx + dy) / (4 * var + 1e-12)).mean().item()


def test_first_layer_filters_are_smooth_structured_patterns(model):
    trained = model.stem.conv.weight
    random = DefaultNet().stem.conv.weight
    assert high_frequency_share(random) > 0.8  # the measure calls noise noise
    assert high_frequency_share(trained) < 0.35
    # Structured, not dead: every filter kept a real share of the energy.
    norms = trained.detach().float().flatten(1).norm(dim=1)
    assert (norms > 0.1 * norms.max()).float().mean() >= 0.75


def test_accuracy_on_a_fresh_generated_set_matches_the_recorded_figure(model, checkpoint):
    recorded = checkpoint["held_out_accuracy"]
    images, labels = make_batch(500, size=128, seed=FRESH_SEED)
    with torch.no_grad():
        pred = model(model.cnnwidget_preprocess.normalize(images)).argmax(1)
    accuracy = (pred == labels).float().mean().item()
    assert recorded >= 0.90
    assert abs(accuracy - recorded) <= 0.03, (accuracy, recorded)


def test_the_model_card_records_the_checkpoints_accuracy(checkpoint):
    card = MODEL_CARD.read_text()
    figure = f"{checkpoint['held_out_accuracy'] * 100:.1f}%"
    assert figure in card, f"docs/default-model.md should state the held-out accuracy {figure}"
    assert re.search(r"train_default_model\.py", card)
