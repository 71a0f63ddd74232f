"""Shared fixtures: small models with random weights, and a model-state fingerprint."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.clean_tree import pytest_sessionfinish, pytest_sessionstart  # noqa: F401  (a run leaves git status clean)
from tests.model_state import model_state


@pytest.fixture(autouse=True)
def _seeded():
    torch.manual_seed(0)
    np.random.seed(0)


@pytest.fixture
def photo() -> np.ndarray:
    """A 180x240 RGB uint8 picture with structure (gradients and a bright square)."""
    y, x = np.mgrid[0:180, 0:240]
    rgb = np.stack([x / 240, y / 180, 0.5 + 0.5 * np.sin(x / 9.0)], axis=-1)
    rgb[60:120, 90:150] = 1.0
    return (rgb * 255).astype(np.uint8)


@pytest.fixture
def state_of():
    """Return the fingerprint function (see tests/model_state.py)."""
    return model_state
