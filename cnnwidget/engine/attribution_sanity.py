"""The model-parameter randomization check for attribution methods (Adebayo et al., NeurIPS 2018).

An attribution method that explains the *model* must give a different map
when the trained weights are replaced by random ones. The check compares, by
Spearman rank correlation over pixels:

* the map on the trained model with the map on a copy whose top layers (the
  ones that make the decision) have random weights, and with the map on a
  copy whose weights are all random (low for a method that depends on what
  the model learned);
* two runs of the same method on the same trained model (``same_model``:
  the method's own repeatability, 1 for deterministic methods).

A method passes when both randomized correlations are far below
``same_model`` (:data:`PASS_GAP`). Guided Backprop is known to fail: its map
ignores the top of the network (it stays the same when the classifier is
random) and mostly reconstructs the picture's edges.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from .attribution import attribution_map

PASS_GAP = 0.3
"""How far below ``same_model`` both randomized correlations must lie for a method to pass."""


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two equally shaped arrays (ties get their mean rank).

    Returns 0 when either array is constant (no ranking to compare).
    """
    ra, rb = _ranks(np.asarray(a).ravel()), _ranks(np.asarray(b).ravel())
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def _ranks(values: np.ndarray) -> np.ndarray:
    order = values.argsort(kind="stable")
    sorted_values = values[order]
    ranks = np.empty(len(values), dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = (start + end - 1) / 2
    return ranks


def randomized_copy(model: nn.Module, modules: Sequence[str] | None = None, *, seed: int = 0) -> nn.Module:
    """A copy of ``model`` whose ``modules`` (all of them for ``None``) have fresh random weights.

    Every submodule with ``reset_parameters()`` (convolutions, linear layers,
    normalization layers, whose running statistics are reset too) inside the
    named modules is re-initialized from ``seed``. The original is not touched.
    """
    copy = deepcopy(model)
    named = dict(copy.named_modules())
    roots = [copy] if modules is None else [named[m] for m in modules]
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        for root in roots:
            for module in root.modules():
                if callable(getattr(module, "reset_parameters", None)):
                    module.reset_parameters()
                if callable(getattr(module, "reset_running_stats", None)):
                    module.reset_running_stats()
    finally:
        torch.random.set_rng_state(generator_state)
    return copy.eval()


@dataclass(frozen=True)
class SanityFigures:
    """The check's outcome for one method (mean Spearman correlations over the pictures).

    Attributes:
        method: the attribution method.
        same_model: two runs on the trained model.
        top_randomized: the trained model's map against the map after randomizing the
            top modules (the layers that make the decision; the first steps of Adebayo
            et al.'s cascading randomization).
        all_randomized: against the map after randomizing every weight.
        maps: how many pictures each mean is over.
    """

    method: str
    same_model: float
    top_randomized: float
    all_randomized: float
    maps: int

    @property
    def passes(self) -> bool:
        """Whether the map changes clearly once the top of the network is random (see :data:`PASS_GAP`)."""
        return max(self.top_randomized, self.all_randomized) <= self.same_model - PASS_GAP


def randomization_check(
    model: nn.Module,
    pictures: torch.Tensor,
    targets: Sequence,
    method: str,
    *,
    top: Sequence[str],
    normalize: Callable[[torch.Tensor], torch.Tensor],
    seed: int = 1,
    **options,
) -> SanityFigures:
    """Run the check for ``method`` on ``pictures`` ``(N, 3, H, W)`` in [0, 1].

    Args:
        model: the trained model (not modified; the randomized models are copies).
        pictures: the pictures to explain.
        targets: one attribution target per picture (e.g. its class).
        method: an attribution method (see :data:`~cnnwidget.engine.attribution.METHODS`).
        top: names of the modules that make the decision (for the default model
            ``("classifier", "stage4")``), randomized first.
        normalize: pixels in [0, 1] to the model's input.
        seed: seed of the random weights.
        options: passed on to :func:`~cnnwidget.engine.attribution.attribution_map`.
    """
    top_random = randomized_copy(model, top, seed=seed)
    all_random = randomized_copy(model, None, seed=seed)
    same, top_corr, all_corr = [], [], []
    for picture, target in zip(pictures, targets):
        x = picture[None]
        first = attribution_map(model, x, target, method, normalize=normalize, **options)
        second = attribution_map(model, x, target, method, normalize=normalize, **options)
        same.append(rank_correlation(first, second))
        top_corr.append(rank_correlation(first, attribution_map(top_random, x, target, method, normalize=normalize, **options)))
        all_corr.append(rank_correlation(first, attribution_map(all_random, x, target, method, normalize=normalize, **options)))
    return SanityFigures(method, float(np.mean(same)), float(np.mean(top_corr)), float(np.mean(all_corr)), len(same))
