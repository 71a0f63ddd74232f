"""The side of live frames, adapted to the kernel's measured time per frame.

A convolutional network's time per frame grows with the number of pixels, about the square of
the side. When a frame takes longer than the budget (a 30 fps camera leaves ~33 ms, less what
the browser needs when it shares the cores), a smaller side brings the rate back; when there is
room, the side grows again, up to the model's own input size. The user can fix the side
(``live_options["size"]``); the HUD shows the side in use.

The first side depends on what the CPU offers (:func:`start_side`): the full size where PyTorch
runs AVX-512 kernels, a step smaller with AVX2 only, smaller again without AVX2. Measurements
behind it: ``benchmarks/RESULTS.md`` (bench_live, "adaptive size").
"""

from __future__ import annotations

import statistics
from collections import deque

import torch

MIN_SIDE = 96
"""Never below this side: smaller frames lose too much of the picture to show a useful map."""

STEP = 16
"""Sides are multiples of this (every stride of a usual CNN divides it evenly enough)."""

BUDGET_MS = 25.0
"""Kernel time per frame aimed at: a 30 fps camera with room for the browser and the network."""

SAMPLES = 8
"""Frames measured at one side before deciding on the next."""

TOLERANCE = 0.2
"""The side changes only when the median time is this far (as a fraction) off the budget."""


def start_side(full: int, capability: str | None = None) -> int:
    """The side to start with for a model of input side ``full``, from the CPU's capability."""
    capability = capability or torch.backends.cpu.get_cpu_capability()
    if capability.startswith("AVX512") or "AMX" in capability:
        fraction = 1.0
    elif capability.startswith("AVX2"):
        fraction = 0.85
    else:
        fraction = 0.7
    return clamp_side(full * fraction, full)


def clamp_side(side: float, full: int) -> int:
    """``side`` rounded down to a multiple of :data:`STEP`, within ``[min(MIN_SIDE, full), full]``."""
    low = min(MIN_SIDE, full)
    stepped = int(side) // STEP * STEP
    return int(max(low, min(full, stepped)))


class AdaptiveSide:
    """Chooses the side of the next live frames from the measured kernel time of the last ones.

    Args:
        full: the model's input side (the largest side used).
        budget_ms: kernel time per frame aimed at.
        start: the first side (default: :func:`start_side`).
    """

    def __init__(self, full: int, budget_ms: float = BUDGET_MS, start: int | None = None) -> None:
        self.full = int(full)
        self.budget_ms = float(budget_ms)
        self.side = clamp_side(start if start is not None else start_side(self.full), self.full)
        self._times: deque[float] = deque(maxlen=SAMPLES)

    def record(self, side: int, kernel_ms: float) -> int:
        """Note that a frame of ``side`` took ``kernel_ms``; returns the side to use from now on."""
        if side != self.side:  # a frame sent before the last change: it says nothing about this side
            return self.side
        self._times.append(kernel_ms)
        if len(self._times) < SAMPLES:
            return self.side
        median = statistics.median(self._times)
        if abs(median - self.budget_ms) <= TOLERANCE * self.budget_ms:
            return self.side
        # time ~ side²: the side that would take the budget
        wanted = clamp_side(self.side * (self.budget_ms / max(median, 1e-3)) ** 0.5, self.full)
        if wanted == self.side and median < self.budget_ms:
            wanted = clamp_side(self.side + STEP, self.full)  # room, but less than a step's worth
        if wanted != self.side:
            self.side = wanted
            self._times.clear()
        return self.side
