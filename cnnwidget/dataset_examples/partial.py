"""Streaming top-k (and bottom-k) per unit, and per-unit statistics, that merge exactly.

A :class:`LayerPartial` summarizes the images seen so far for every unit of one
layer: the ``k`` images with the highest maximum (and optionally the ``k`` with
the lowest), each with the position of the peak, plus count, sum, maximum,
minimum, how many images made the unit fire (maximum > 0) and a histogram of the
maxima over fixed bins (:data:`HIST_EDGES`). Nothing else is kept, so memory does
not grow with the data set.

Ties are broken by the item number (lower first), so the top-k of a union is the
top-k of the top-k's of its parts: partials from shards merge *exactly*, in any
grouping. Sums are float64; merged in a fixed order (batch order inside a shard,
shard order overall) they are bit-identical whichever executor made them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

_DECADES = np.arange(-16, 17) / 4.0  # 1e-4 .. 1e4, four bins per decade
HIST_EDGES = np.concatenate([[-np.inf], -(10.0 ** _DECADES[::-1]), [0.0], 10.0 ** _DECADES, [np.inf]])
"""Bin edges of the histogram of maxima: 0, ±10^(e/4) for e in -16..16, ±inf (68 bins; bin i is
``[HIST_EDGES[i], HIST_EDGES[i+1])``). Fixed, so histograms of any two shards add up."""
NO_ITEM = np.iinfo(np.int64).max


@dataclass
class Ranked:
    """``k`` best entries per unit, best first: scores ``(C, k)`` float32, items ``(C, k)`` int64,
    peak positions ``(C, k)`` int32 (flat index into the ``h x w`` map); empty slots have item
    :data:`NO_ITEM` and score ``∓inf``."""

    score: np.ndarray
    item: np.ndarray
    pos: np.ndarray

    @classmethod
    def empty(cls, channels: int, k: int, lowest: bool) -> "Ranked":
        fill = np.inf if lowest else -np.inf
        return cls(np.full((channels, k), fill, np.float32), np.full((channels, k), NO_ITEM, np.int64),
                   np.full((channels, k), -1, np.int32))

    def merged(self, other: "Ranked", k: int, lowest: bool) -> "Ranked":
        """The ``k`` best of both, ordered by score (descending, or ascending when ``lowest``), then item."""
        score = np.concatenate([self.score, other.score], axis=1)
        item = np.concatenate([self.item, other.item], axis=1)
        pos = np.concatenate([self.pos, other.pos], axis=1)
        by_item = np.argsort(item, axis=1, kind="stable")
        score, item, pos = (np.take_along_axis(a, by_item, 1) for a in (score, item, pos))
        by_score = np.argsort(score if lowest else -score, axis=1, kind="stable")[:, :k]
        return Ranked(*(np.take_along_axis(a, by_score, 1) for a in (score, item, pos)))


@dataclass
class LayerPartial:
    """What is kept of all images seen so far for every unit of one layer (see the module doc)."""

    k: int
    top: Ranked
    bottom: Ranked | None
    count: int
    total: np.ndarray  # (C,) float64 sum of maxima
    high: np.ndarray  # (C,) float32
    low: np.ndarray  # (C,) float32
    fires: np.ndarray  # (C,) int64
    hist: np.ndarray  # (C, len(HIST_EDGES) - 1) int64

    @classmethod
    def empty(cls, channels: int, k: int, lowest: bool = False) -> "LayerPartial":
        """Nothing seen yet."""
        return cls(k, Ranked.empty(channels, k, False), Ranked.empty(channels, k, True) if lowest else None, 0,
                   np.zeros(channels, np.float64), np.full(channels, -np.inf, np.float32),
                   np.full(channels, np.inf, np.float32), np.zeros(channels, np.int64),
                   np.zeros((channels, len(HIST_EDGES) - 1), np.int64))

    @classmethod
    def of_batch(cls, maxima: np.ndarray, positions: np.ndarray, items: np.ndarray, k: int,
                 lowest: bool = False) -> "LayerPartial":
        """The partial of one batch: ``maxima`` and ``positions`` ``(N, C)``, ``items`` ``(N,)``."""
        n, channels = maxima.shape
        maxima = np.nan_to_num(maxima.astype(np.float32), nan=-np.inf)
        part = cls.empty(channels, k, lowest)
        if n == 0:
            return part
        items = items.astype(np.int64)
        if n > 1 and np.any(np.diff(items) < 0):  # ties go to the lower item: order the rows by item first
            order = np.argsort(items, kind="stable")
            maxima, positions, items = maxima[order], positions[order], items[order]
        scores = np.ascontiguousarray(maxima.T)
        pos = np.ascontiguousarray(positions.T.astype(np.int32))
        ids = np.broadcast_to(items[None, :], scores.shape)
        # One stable sort of the batch (rows already in item order) instead of a merge with the empty list.
        part.top = part.top.merged(_best(scores, ids, pos, k, False), k, False) if n < k else _best(
            scores, ids, pos, k, False)
        if lowest:
            low = np.where(np.isfinite(scores), scores, np.inf)
            part.bottom = part.bottom.merged(_best(low, ids, pos, k, True), k, True) if n < k else _best(
                low, ids, pos, k, True)
        finite = np.where(np.isfinite(maxima), maxima, 0.0)
        part.count = n
        part.total = finite.astype(np.float64).sum(0)
        part.high, part.low = maxima.max(0), maxima.min(0)
        part.fires = (maxima > 0).sum(0).astype(np.int64)
        bins = np.clip(np.searchsorted(HIST_EDGES, maxima, side="right") - 1, 0, len(HIST_EDGES) - 2)
        flat = (bins + np.arange(channels)[None, :] * (len(HIST_EDGES) - 1)).ravel()
        part.hist = np.bincount(flat, minlength=channels * (len(HIST_EDGES) - 1)).reshape(channels, -1).astype(np.int64)
        return part

    def merged(self, other: "LayerPartial") -> "LayerPartial":
        """Both partials as one (exact: the same as one partial over both sets of images)."""
        lowest = self.bottom is not None
        return LayerPartial(
            self.k, self.top.merged(other.top, self.k, False),
            self.bottom.merged(other.bottom, self.k, True) if lowest else None,
            self.count + other.count, self.total + other.total, np.maximum(self.high, other.high),
            np.minimum(self.low, other.low), self.fires + other.fires, self.hist + other.hist,
        )

    # ----- on disk ---------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """A compact, exact serialization (``numpy.savez``)."""
        arrays = dict(k=np.int64(self.k), count=np.int64(self.count), total=self.total, high=self.high, low=self.low,
                      fires=self.fires, hist=self.hist, top_score=self.top.score, top_item=self.top.item,
                      top_pos=self.top.pos)
        if self.bottom is not None:
            arrays.update(bottom_score=self.bottom.score, bottom_item=self.bottom.item, bottom_pos=self.bottom.pos)
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "LayerPartial":
        """Inverse of :meth:`to_bytes`."""
        with np.load(io.BytesIO(data)) as z:
            bottom = Ranked(z["bottom_score"], z["bottom_item"], z["bottom_pos"]) if "bottom_score" in z else None
            return cls(int(z["k"]), Ranked(z["top_score"], z["top_item"], z["top_pos"]), bottom, int(z["count"]),
                       z["total"], z["high"], z["low"], z["fires"], z["hist"])


def _best(scores: np.ndarray, ids: np.ndarray, pos: np.ndarray, k: int, lowest: bool) -> Ranked:
    """The ``k`` best columns per row, by score then by column order (the rows' items ascend)."""
    order = np.argsort(scores if lowest else -scores, axis=1, kind="stable")[:, :k]
    return Ranked(*(np.take_along_axis(a, order, 1) for a in (scores, ids, pos)))


def merge_all(partials) -> dict[str, LayerPartial] | None:
    """Fold ``{layer: LayerPartial}`` dicts in the order given (``None`` for none)."""
    out = None
    for part in partials:
        out = dict(part) if out is None else {name: out[name].merged(p) for name, p in part.items()}
    return out


def pack(parts: dict[str, LayerPartial]) -> dict[str, bytes]:
    """``{layer: bytes}`` for storage or transport."""
    return {name: p.to_bytes() for name, p in parts.items()}


def unpack(data: dict[str, bytes]) -> dict[str, LayerPartial]:
    """Inverse of :func:`pack`."""
    return {name: LayerPartial.from_bytes(b) for name, b in data.items()}


__all__ = ["HIST_EDGES", "LayerPartial", "NO_ITEM", "Ranked", "merge_all", "pack", "unpack"]
