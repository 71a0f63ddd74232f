"""Decoding off the model's thread: a map-style data set of prepared tensors and its collate function.

Used by the local executor (inside ``torch.utils.data.DataLoader`` worker processes)
and by the Ray executor (inside Ray Data tasks), so both see the very same tensors.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from .decode import SkipImage
from .prepare import prepare
from .sources import ExamplesError, ImageSource


class PreparedItems(torch.utils.data.Dataset):
    """Item ``i`` of ``source`` as ``(i, tensor, None)``, or ``(i, None, reason)`` when it is skipped."""

    def __init__(self, source: ImageSource, transform, offset: int = 0) -> None:
        self.source, self.transform, self.offset = source, transform, offset

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, i: int):
        try:
            picture, _ = self.source.load(i - self.offset)
            return i, prepare(picture, self.transform), None
        except SkipImage as skip:
            return i, None, skip.reason


class Batch:
    """A decoded batch: ``items`` ``(N,)`` int64, ``pixels`` ``(N, 3, H, W)``, ``skipped`` ``[(item, reason)]``."""

    def __init__(self, items: np.ndarray, pixels: torch.Tensor | None, skipped: list[tuple[int, str]]) -> None:
        self.items, self.pixels, self.skipped = items, pixels, skipped


def collate(rows: Sequence) -> Batch:
    """Stack the tensors of the readable items; list the others with their reasons."""
    good = [(i, t) for i, t, _ in rows if t is not None]
    skipped = [(int(i), reason) for i, t, reason in rows if t is None]
    if not good:
        return Batch(np.zeros(0, np.int64), None, skipped)
    shapes = {tuple(t.shape) for _, t in good}
    if len(shapes) > 1:
        raise ExamplesError(f"preprocess made tensors of different sizes {sorted(shapes)}; it must give every "
                            "image the same size, e.g. preprocess=cnnwidget.Preprocess(size=224)")
    return Batch(np.array([i for i, _ in good], np.int64), torch.stack([t for _, t in good]), skipped)


__all__ = ["Batch", "PreparedItems", "collate"]
