"""The pictures that made one unit fire hardest so far: a running top-K of crops."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field

import numpy as np


@dataclass(order=True)
class Crop:
    """One remembered crop: the unit's peak activation and the patch around it."""

    value: float
    order: int
    pixels: np.ndarray = field(compare=False)  # (S, S, 3) uint8


class TopCrops:
    """Keep the K crops with the highest activation of one unit seen in a stream.

    Args:
        k: how many crops to keep.
        side: crop side in input pixels (the unit's receptive field).

    Call :meth:`offer` with each frame (as the model saw it) and the unit's map;
    :meth:`crops` returns the best first.
    """

    def __init__(self, k: int = 9, side: int = 64) -> None:
        if k < 1:
            raise ValueError("k must be at least 1")
        self.k = k
        self.side = max(4, int(side))
        self._heap: list[Crop] = []
        self._counter = itertools.count()

    def offer(self, frame: np.ndarray, unit_map: np.ndarray) -> bool:
        """Consider the strongest position of ``unit_map`` in ``frame``; True if kept.

        Args:
            frame: ``(H, W, 3)`` uint8 picture the model saw.
            unit_map: ``(h, w)`` activations of the unit for that picture.
        """
        value = float(unit_map.max())
        if not np.isfinite(value) or (len(self._heap) == self.k and value <= self._heap[0].value):
            return False
        y, x = np.unravel_index(int(unit_map.argmax()), unit_map.shape)
        crop = self._cut(frame, (y + 0.5) / unit_map.shape[0], (x + 0.5) / unit_map.shape[1])
        item = Crop(value, next(self._counter), crop)
        if len(self._heap) < self.k:
            heapq.heappush(self._heap, item)
        else:
            heapq.heapreplace(self._heap, item)
        return True

    def crops(self) -> list[Crop]:
        """The kept crops, strongest first."""
        return sorted(self._heap, reverse=True)

    def strip(self, tile: int = 64) -> np.ndarray:
        """The kept crops, strongest first, resized to ``tile`` px and laid side by side."""
        import cv2

        tiles = [cv2.resize(c.pixels, (tile, tile), interpolation=cv2.INTER_AREA) for c in self.crops()]
        return np.concatenate(tiles, axis=1) if tiles else np.zeros((tile, 0, 3), np.uint8)

    def _cut(self, frame: np.ndarray, cy: float, cx: float) -> np.ndarray:
        h, w = frame.shape[:2]
        half = self.side // 2
        padded = np.pad(frame, ((half, half), (half, half), (0, 0)), mode="edge")
        y0 = int(round(cy * h))
        x0 = int(round(cx * w))
        return padded[y0 : y0 + 2 * half, x0 : x0 + 2 * half].copy()
