"""The settings that decide a dataset-examples index; a directory keeps one set of them."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ExamplesSettings:
    """Everything that decides the content of an index.

    Attributes:
        model: the model spec, or for a module its class and a hash of its weights.
        weights: the weights of a spec (``None``: random weights).
        layers: the chosen layers, in the order given.
        k: images kept per unit.
        lowest: whether the ``k`` lowest images are kept too.
        batch: images per forward pass (sums of maxima are added up batch by batch).
        shard: images per shard (the unit of resume).
        preprocess: the ``repr`` of the preprocessing.
        source: the item list's fingerprint (file names and sizes, or the data set's type and length).
        crop: longest side of the saved crops, in pixels.
    """

    model: str
    weights: str | None
    layers: tuple[str, ...]
    k: int
    lowest: bool
    batch: int
    shard: int
    preprocess: str
    source: str
    crop: int

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"k must be at least 1, got {self.k}")
        if self.batch < 1:
            raise ValueError(f"batch must be at least 1, got {self.batch}")
        if self.shard < self.batch or self.shard % self.batch:
            raise ValueError(f"shard must be a whole number of batches ({self.batch}), got {self.shard}")
        if self.crop < 8:
            raise ValueError(f"crop must be at least 8 px, got {self.crop}")

    def to_json(self) -> dict:
        """A JSON-ready dict."""
        data = asdict(self)
        data["layers"] = list(self.layers)
        return data

    def differences(self, stored: dict) -> list[tuple[str, object, object]]:
        """``(key, stored value, this value)`` for every setting that differs from ``stored``."""
        mine = self.to_json()
        return [(key, stored.get(key), value) for key, value in mine.items() if stored.get(key) != value]


def module_identity(model: nn.Module) -> str:
    """``ClassName@sha256-prefix`` of the module's parameters and buffers: another model, another index."""
    h = hashlib.sha256()
    for name, tensor in list(model.state_dict().items()):
        if isinstance(tensor, torch.Tensor):
            h.update(name.encode())
            h.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return f"{type(model).__name__}@{h.hexdigest()[:16]}"


__all__ = ["ExamplesSettings", "module_identity"]
