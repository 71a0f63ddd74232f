"""One identical yardstick for every feature-visualization benchmark.

A picture is judged by how strongly it drives the unit from many views, not
from the one exact view an optimizer may have overfitted: the unit's mean
activation averaged over a fixed set of random views (shift, scale,
rotation), each drawn from a fixed seed so every picture sees the same views.
High-frequency energy is reported beside it, so that adversarial noise cannot
pass for quality.
"""

from __future__ import annotations

import math
import platform
import time

import torch
import torch.nn.functional as F

from cnnwidget.engine.capture import LayerCapture
from cnnwidget.engine.model_guard import preserved
from cnnwidget.engine.parameterization import high_frequency_share
from cnnwidget.engine.preprocessing import Preprocess

MACHINE = "2-core CPU, no GPU"


def views(count: int = 32, seed: int = 0, max_shift: float = 0.08, scale=(0.85, 1.15), max_degrees: float = 15.0):
    """``count`` fixed random affine matrices ``(count, 2, 3)`` (normalized coordinates)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(count):
        if i == 0:
            out.append(torch.tensor([[1.0, 0, 0], [0, 1.0, 0]]))  # the picture as it is
            continue
        r = lambda: float(torch.rand((), generator=g))  # noqa: E731
        angle = math.radians((2 * r() - 1) * max_degrees)
        s = scale[0] + (scale[1] - scale[0]) * r()
        tx, ty = (2 * r() - 1) * 2 * max_shift, (2 * r() - 1) * 2 * max_shift
        c, si = math.cos(angle) / s, math.sin(angle) / s
        out.append(torch.tensor([[c, -si, tx], [si, c, ty]]))
    return torch.stack(out)


def to_size(pixels: torch.Tensor, size: int = 224) -> torch.Tensor:
    """``(N, 3, size, size)`` float pixels (bilinear resize if needed)."""
    x = pixels.detach().float()
    if x.dim() == 3:
        x = x[None]
    if x.shape[-1] != size or x.shape[-2] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return x


@torch.no_grad()
def unit_score(model, layer: str, channel: int | None, pixels: torch.Tensor, count: int = 32, size: int = 224) -> float:
    """Mean activation of ``channel`` (or, with ``None``, the mean square of the layer) over fixed views."""
    x = to_size(pixels, size)
    theta = views(count)
    total = 0.0
    with preserved(model), LayerCapture(model, [layer]) as cap:
        for chunk in theta.split(8):
            n = chunk.shape[0]
            batch = x.expand(n, -1, -1, -1) if x.shape[0] == 1 else x.repeat(n, 1, 1, 1)
            m = chunk.repeat_interleave(x.shape[0], 0) if x.shape[0] > 1 else chunk
            grid = F.affine_grid(m, list(batch.shape), align_corners=False)
            warped = F.grid_sample(batch, grid, padding_mode="reflection", align_corners=False)
            act = cap.run(Preprocess().normalize(warped))[layer].float()
            value = act[:, channel].mean(dim=(-2, -1)) if channel is not None else act.pow(2).mean(dim=(1, 2, 3))
            total += float(value.sum())
    return total / (count * x.shape[0])


def hf_share(pixels: torch.Tensor, size: int = 224) -> float:
    """Share of spectral energy above a quarter cycle per pixel, at ``size`` px."""
    return high_frequency_share(to_size(pixels, size))


class Clock:
    """``with Clock() as c: ...; c.seconds``"""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def machine_line() -> str:
    """The machine description recorded with each result."""
    return f"{MACHINE} ({platform.processor() or platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads)"
