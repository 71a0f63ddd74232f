"""What an executor hands back for each finished shard."""

from __future__ import annotations

from dataclasses import dataclass, field

from .partial import LayerPartial
from .plan import Shard


@dataclass
class ShardResult:
    """One shard, done: its exact summary per layer, images read, items skipped with reasons, seconds."""

    shard: Shard
    parts: dict[str, LayerPartial]
    images: int
    skipped: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0


def fold(empty: dict[str, LayerPartial], batches) -> dict[str, LayerPartial]:
    """Merge batch summaries into ``empty`` in the order given (the order every executor uses)."""
    parts = empty
    for batch in batches:
        parts = {name: parts[name].merged(batch[name]) for name in parts}
    return parts


__all__ = ["ShardResult", "fold"]
