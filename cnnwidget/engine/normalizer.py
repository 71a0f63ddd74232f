"""The differentiable last step of preprocessing: pixels in [0, 1] to the model's input range."""

from __future__ import annotations

from typing import Callable

import torch

from .preprocessing import Preprocess, resolve_preprocess


def pixel_normalizer(preprocess=None, model=None) -> Callable[[torch.Tensor], torch.Tensor]:
    """``(N, 3, H, W)`` pixels in [0, 1] -> model input, differentiably.

    Takes the mean and standard deviation from ``preprocess`` (or the model's
    own ``cnnwidget_preprocess``, see :func:`resolve_preprocess`): a
    :class:`Preprocess`, or any transform with ``mean`` and ``std`` attributes
    such as torchvision's ``Weights.transforms()``. Anything else gets
    ImageNet's statistics.
    """
    resolved = resolve_preprocess(preprocess, model)
    if isinstance(resolved, Preprocess):
        return resolved.normalize
    mean, std = getattr(resolved, "mean", None), getattr(resolved, "std", None)
    if mean is not None and std is not None and len(mean) == 3 and len(std) == 3:
        return Preprocess(mean=tuple(float(m) for m in mean), std=tuple(float(s) for s in std)).normalize
    return Preprocess().normalize
