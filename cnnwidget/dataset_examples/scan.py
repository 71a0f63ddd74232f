"""The model side of the scan: run a batch up to the deepest chosen layer, keep each unit's maximum.

One :class:`Scanner` per process that runs the model (this one, or a Ray actor). The
forward pass stops as soon as the deepest chosen layer has run
(:class:`~cnnwidget.engine.capture.LayerCapture`, made by
:func:`~cnnwidget.engine.layer_catalog.capture_for`, so token and channels-last layers
come as ``(N, C, H, W)`` maps on their grid); each chosen map is reduced to its
maximum and the maximum's position on the model's own device, and only those ``(N, C)``
numbers leave it, as :class:`~.partial.LayerPartial` summaries of the batch.
"""

from __future__ import annotations

import contextlib
from typing import Sequence

import numpy as np
import torch
from torch import nn

from ..engine.capture import LayerCapture
from ..engine.layer_catalog import capture_for, find_layer
from ..engine.model_guard import preserved
from ..engine.placement import model_device, model_dtype
from .partial import LayerPartial


class Scanner:
    """Context manager: the model ready to scan batches (eval mode, no autograd, hooks on the chosen layers).

    Args:
        model: the network; left exactly as found on exit.
        layers: the chosen layer names.
        size: ``(H, W)`` of the input tensors.
        k: how many images to keep per unit.
        lowest: also keep the ``k`` lowest.
    """

    def __init__(self, model: nn.Module, layers: Sequence[str], size: tuple[int, int], k: int, lowest: bool) -> None:
        self.model, self.layers, self.k, self.lowest = model, list(layers), k, lowest
        self.size = tuple(size)
        self.infos = {name: find_layer(model, name, size) for name in self.layers}
        self._stack = contextlib.ExitStack()
        self._capture: LayerCapture | None = None

    def __enter__(self) -> "Scanner":
        self._stack.enter_context(preserved(self.model, freeze=False))
        self._capture = self._stack.enter_context(capture_for(self.model, self.layers, self.size))
        self.device, self.dtype = model_device(self.model), model_dtype(self.model)
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def scan(self, pixels: torch.Tensor | None, items: np.ndarray) -> dict[str, LayerPartial]:
        """The partial of one batch (``pixels`` ``(N, 3, H, W)``, ``items`` ``(N,)``) for every chosen layer."""
        if pixels is None or len(items) == 0:
            return {name: LayerPartial.empty(info.channels, self.k, self.lowest) for name, info in self.infos.items()}
        parts = {}
        with torch.no_grad():  # per call: autograd's switch belongs to the calling thread (Ray actors use several)
            x = pixels.to(device=self.device, dtype=self.dtype, non_blocking=True)
            outputs = self._capture.run(x)
            peaks = {name: outputs[name].flatten(2).max(dim=2) for name in self.layers}
        for name in self.layers:
            values, positions = peaks[name]
            parts[name] = LayerPartial.of_batch(values.float().cpu().numpy(), positions.cpu().numpy(), items,
                                                self.k, self.lowest)
        return parts


__all__ = ["Scanner"]
