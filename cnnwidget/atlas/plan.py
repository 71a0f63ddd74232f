"""Which units an atlas covers, how they are cut into tasks, and each unit's seed.

A *task* is one batched maximization: up to ``batch`` units of one layer. Each
unit's seed is a stable hash of (global seed, layer, channel), and the engine
gives every picture of a batch its own generator (``Maximizer(seeds=...)``),
so a unit's picture does not depend on how the units were split into tasks,
in which order they ran, or on which worker.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable, Sequence

SEED_SALT = "cnnwidget.atlas/1"
"""Mixed into every unit seed; change it only together with the atlas format."""


@dataclass(frozen=True, order=True)
class Unit:
    """One channel of one layer."""

    layer: str
    channel: int

    def __str__(self) -> str:
        return f"{self.layer}:{self.channel}"


@dataclass(frozen=True)
class Task:
    """One batched maximization: ``channels`` of ``layer``, each with its own seed."""

    layer: str
    channels: tuple[int, ...]
    seeds: tuple[int, ...]

    @property
    def units(self) -> list[Unit]:
        """The units this task computes, in batch order."""
        return [Unit(self.layer, c) for c in self.channels]


def unit_seed(seed: int, layer: str, channel: int) -> int:
    """The seed of one unit: a stable 63-bit hash of the global ``seed``, ``layer`` and ``channel``.

    Stable across processes, machines and Python versions (unlike ``hash()``).

    Example:
        >>> unit_seed(0, "layer3.1", 5) == unit_seed(0, "layer3.1", 5)
        True
    """
    text = f"{SEED_SALT}|{int(seed)}|{layer}|{int(channel)}".encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little") & (2**63 - 1)


def plan_tasks(units: Iterable[Unit], batch: int, seed: int) -> list[Task]:
    """Cut ``units`` into tasks of at most ``batch`` units, never mixing layers.

    Units keep their order within each layer; layers keep the order of first appearance.
    """
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    by_layer: dict[str, list[int]] = {}
    for unit in units:
        by_layer.setdefault(unit.layer, []).append(int(unit.channel))
    tasks = []
    for layer, channels in by_layer.items():
        for start in range(0, len(channels), batch):
            chunk = tuple(channels[start : start + batch])
            tasks.append(Task(layer, chunk, tuple(unit_seed(seed, layer, c) for c in chunk)))
    return tasks


def select_channels(spec: str | Sequence[int] | None, channels: int) -> list[int]:
    """Channels of a layer with ``channels`` channels chosen by ``spec``.

    ``None`` (all), ``"START:STOP[:STEP]"`` (a slice, clipped to the layer), ``"3,5,9"`` or a
    list of ints (each must exist).
    """
    if spec is None:
        return list(range(channels))
    if isinstance(spec, str):
        text = spec.strip()
        try:
            if ":" in text:
                parts = [int(p) if p.strip() else None for p in text.split(":")]
                if len(parts) > 3:
                    raise ValueError
                return list(range(channels))[slice(*parts)]
            chosen = [int(p) for p in text.split(",") if p.strip()]
        except ValueError:
            raise ValueError(
                f"cannot read units {spec!r}; write START:STOP (e.g. 0:64), START:STOP:STEP or 3,5,9"
            ) from None
    else:
        chosen = [int(c) for c in spec]
    bad = [c for c in chosen if not 0 <= c < channels]
    if bad:
        raise ValueError(f"unit(s) {bad} out of range: the layer has {channels} channels, use 0..{channels - 1}")
    return chosen


__all__ = ["Task", "Unit", "plan_tasks", "select_channels", "unit_seed"]
