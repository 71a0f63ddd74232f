"""Random transformations that make a visualization robust (Olah et al. 2017).

Before each step the picture is padded, shifted, rescaled and rotated a
little at random, so that the optimizer cannot win with a pixel-exact
adversarial pattern and has to draw something the unit responds to from
every view.

A transform is a callable ``t(x, generator) -> x`` on ``(N, 3, H, W)`` pixels in
[0, 1]; all randomness comes from the ``torch.Generator`` so that a seeded run
repeats exactly. :func:`resolve_transforms` also accepts plain ``t(x)``
callables, such as most torchvision transforms.
"""

from __future__ import annotations

import inspect
import math
from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from .random_views import RandomViews
from .shrinking_crops import ShrinkingCrops

Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _pick(options: Sequence, generator: torch.Generator):
    return options[int(torch.randint(len(options), (1,), generator=generator))]


def pad(width: int, value: float = 0.5, mode: str = "constant") -> Transform:
    """Pad ``width`` pixels on every side (grey by default, so edges are not special)."""

    def transform(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if mode == "constant":
            return F.pad(x, [width] * 4, mode="constant", value=value)
        return F.pad(x, [width] * 4, mode=mode)

    return transform


def jitter(d: int) -> Transform:
    """Crop ``d`` pixels off at a random offset: a shift of 0..d px in each direction."""

    def transform(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        dy, dx = (int(v) for v in torch.randint(d + 1, (2,), generator=generator))
        h, w = x.shape[-2:]
        return x[..., dy : h - d + dy, dx : w - d + dx]

    return transform


def random_scale(scales: Sequence[float]) -> Transform:
    """Resize by a factor drawn from ``scales`` (bilinear)."""
    scales = list(scales)

    def transform(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        factor = float(_pick(scales, generator))
        if factor == 1.0:
            return x
        h, w = x.shape[-2:]
        size = (max(1, round(h * factor)), max(1, round(w * factor)))
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)

    return transform


def random_rotate(angles: Sequence[float]) -> Transform:
    """Rotate about the centre by an angle (degrees) drawn from ``angles``; corners repeat the border."""
    angles = list(angles)

    def transform(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        angle = math.radians(float(_pick(angles, generator)))
        if angle == 0.0:
            return x
        cos, sin = math.cos(angle), math.sin(angle)
        theta = torch.tensor([[cos, -sin, 0.0], [sin, cos, 0.0]], dtype=x.dtype, device=x.device)
        grid = F.affine_grid(theta.expand(x.shape[0], 2, 3), list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)

    return transform


def compose(transforms: Sequence[Transform]) -> Transform:
    """Apply ``transforms`` in order."""
    transforms = list(transforms)

    def transform(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        for t in transforms:
            x = t(x, generator)
        return x

    return transform


def standard() -> list[Transform]:
    """The default set (Lucid's): pad 12, jitter 8, scale 0.9-1.1, rotate -10..10 degrees, jitter 4."""
    return [
        pad(12),
        jitter(8),
        random_scale([1 + (i - 5) / 50 for i in range(11)]),
        random_rotate(list(range(-10, 11)) + [0] * 5),
        jitter(4),
    ]


def resolve_transforms(spec) -> Transform:
    """One transform from ``"standard"``, ``"crops"`` (MACO's shrinking crops plus noise, see
    :class:`~cnnwidget.engine.shrinking_crops.ShrinkingCrops`), ``"views"`` (one random affine
    view with mirrored borders, see :class:`~cnnwidget.engine.random_views.RandomViews`), ``None`` / ``"none"``
    (identity) or a list of callables.

    List items may take ``(x, generator)`` or just ``(x)``.
    """
    if isinstance(spec, str):
        if spec == "standard":
            return compose(standard())
        if spec == "crops":
            return ShrinkingCrops()
        if spec == "views":
            return RandomViews()
        if spec == "none":
            return compose([])
        raise ValueError(f"unknown transforms {spec!r}; use 'standard', 'crops', 'views', 'none' or a list of callables")
    if spec is None:
        return compose([])
    if callable(spec):
        spec = [spec]
    return compose([_two_arguments(t) for t in spec])


def _two_arguments(t) -> Transform:
    if not callable(t):
        raise TypeError(f"a transform must be callable, got {type(t).__name__}")
    try:
        params = inspect.signature(t).parameters.values()
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        takes_two = len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)
    except (TypeError, ValueError):
        takes_two = False
    return t if takes_two else (lambda x, generator: t(x))
