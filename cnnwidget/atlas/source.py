"""Where an atlas's model comes from, so that any process can build the same one.

Workers (local processes, Ray tasks on other machines) rebuild the model from
its :func:`~cnnwidget.load_model` spec rather than receiving it. A model with
random weights (``weights=None``) is built under a fixed torch seed, so every
worker gets the very same random network. An ``nn.Module`` given directly is
used as is (in-process, or shipped through Ray's object store).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch
from torch import nn

from ..models.weights import wants_random_weights

INIT_SEED = 0
"""torch seed under which a model with random weights is built."""


@dataclass(frozen=True)
class ModelSource:
    """A model spec plus weights (rebuildable anywhere), or a module object.

    Attributes:
        spec: anything :func:`~cnnwidget.load_model` reads as text (``"default"``,
            ``"resnet50"``, ``"timm:NAME"``, ``"pkg.mod:attr"``, a file path); ``None``
            for a module.
        weights: ``load_model``'s ``weights`` (``None`` for random weights).
        module: the model itself when one was given instead of a spec.
    """

    spec: str | None
    weights: str | None = "DEFAULT"
    module: nn.Module | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, model, weights="DEFAULT") -> "ModelSource":
        """From an ``nn.Module`` or a spec string/path."""
        if isinstance(model, nn.Module):
            return cls(None, None, model)
        if isinstance(model, (str, os.PathLike)):
            if wants_random_weights(weights):
                weights = None
            return cls(os.fspath(model), None if weights is None else str(weights))
        raise TypeError(
            f"the atlas needs a model spec such as 'resnet50' or 'default', or an nn.Module; "
            f"got {type(model).__name__}"
        )

    @property
    def rebuildable(self) -> bool:
        """Whether another process can build this model from the spec alone."""
        return self.module is None

    @property
    def name(self) -> str:
        """The spec, or the module's class name."""
        return self.spec if self.spec is not None else type(self.module).__name__

    def build(self, device=None) -> nn.Module:
        """The model, on ``device`` when given (a module is moved, not copied)."""
        if self.module is not None:
            return self.module if device is None else self.module.to(device)
        from ..models import load_model

        with torch.random.fork_rng(devices=[]):  # random weights: the same in every process
            torch.manual_seed(INIT_SEED)
            return load_model(self.spec, weights=self.weights, device=device)

    def to_json(self) -> dict:
        """``{"model", "weights"}`` for atlas.json."""
        return {"model": self.name, "weights": self.weights}


__all__ = ["INIT_SEED", "ModelSource"]
