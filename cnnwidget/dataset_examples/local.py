"""Scan on this machine: DataLoader worker processes decode, this thread runs the model.

Batches are fetched in plan order (the DataLoader keeps order), several ahead
(``prefetch`` per worker), so decoding overlaps the forward passes. With
``workers=0`` pictures are decoded on this thread (for debugging only).
"""

from __future__ import annotations

import os
import time
from typing import Iterator, Sequence

import torch

from .loader import PreparedItems, collate
from .partial import LayerPartial
from .plan import Shard
from .scan import Scanner
from .shard_result import ShardResult, fold


def default_workers() -> int:
    """Decoding processes: the cores less one for the model, at least 1, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(8, cores - 1))


class LocalExecutor:
    """Scan shards here.

    Args:
        model: the network (run on this thread, on its own device).
        source: the :class:`~.sources.ImageSource`.
        transform: the preprocessing.
        layers, size, k, lowest, batch: as in :class:`~.scan.Scanner` and the plan.
        workers: decoding processes (``None``: :func:`default_workers`).
    """

    kind = "local"

    def __init__(self, model, source, transform, layers: Sequence[str], size, k: int, lowest: bool, batch: int,
                 workers: int | None = None) -> None:
        self.model, self.source, self.transform = model, source, transform
        self.layers, self.size, self.k, self.lowest, self.batch = list(layers), size, k, lowest, batch
        self.workers = default_workers() if workers is None else int(workers)

    def describe(self) -> dict:
        return {"executor": self.kind, "decoders": self.workers}

    def run(self, shards: Sequence[Shard]) -> Iterator[ShardResult]:
        if not shards:
            return
        batches = [b for shard in shards for b in shard.batches(self.batch)]
        extra = dict(prefetch_factor=4, persistent_workers=False) if self.workers else {}
        loader = torch.utils.data.DataLoader(
            PreparedItems(self.source, self.transform), batch_sampler=batches, num_workers=self.workers,
            collate_fn=collate, pin_memory=torch.cuda.is_available(), **extra)
        with Scanner(self.model, self.layers, self.size, self.k, self.lowest) as scanner:
            channels = {name: info.channels for name, info in scanner.infos.items()}
            stream = iter(loader)
            try:
                for shard in shards:
                    start = time.perf_counter()
                    images, skipped, parts = 0, [], []
                    for _ in shard.batches(self.batch):
                        batch = next(stream)
                        parts.append(scanner.scan(batch.pixels, batch.items))
                        images += len(batch.items)
                        skipped += batch.skipped
                    empty = {n: LayerPartial.empty(c, self.k, self.lowest) for n, c in channels.items()}
                    yield ShardResult(shard, fold(empty, parts), images, skipped, time.perf_counter() - start)
            finally:
                del stream  # stops the decoding workers


__all__ = ["LocalExecutor", "default_workers"]
