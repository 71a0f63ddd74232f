"""How the items are cut: shards (the unit of resume and of merging) made of batches (one forward pass each).

The cut depends only on the number of items, the shard size and the batch size, so
every run, executor and resume cuts the same way and every image meets the model in
the same batch.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shard:
    """Items ``start .. stop-1``; number ``index`` in the plan."""

    index: int
    start: int
    stop: int

    def batches(self, batch: int) -> list[list[int]]:
        """The item numbers of each batch of this shard, in order."""
        return [list(range(b, min(b + batch, self.stop))) for b in range(self.start, self.stop, batch)]

    def __len__(self) -> int:
        return self.stop - self.start


def default_shard(batch: int, target: int = 2048) -> int:
    """Images per shard: a whole number of batches, about ``target`` images."""
    return max(1, target // batch) * batch


def plan_shards(items: int, shard: int) -> list[Shard]:
    """Cut ``items`` into shards of ``shard`` images (the last one shorter)."""
    if shard < 1:
        raise ValueError(f"shard must be at least 1 image, got {shard}")
    return [Shard(i, start, min(start + shard, items)) for i, start in enumerate(range(0, items, shard))]


__all__ = ["Shard", "default_shard", "plan_shards"]
