"""The ``"soft"`` recipe: a Fourier picture whose pixels stay inside the sigmoid's working range.

Every parameterization decodes through a sigmoid. Maximizing a unit rewards
contrast, so a free Fourier picture (``"fft"``) runs many pixels to the
sigmoid's ends: pure black, white and primaries, where the gradient vanishes
and the picture stops telling anything (in the benchmarks 26-89 % of pixels
end with a channel at <= 0.02 or >= 0.98, against 8 % in the sample photos).
MACO (Fel et al., "Unlocking Feature Visualization for Deeper Networks with
MAgnitude Constrained Optimization", NeurIPS 2023) avoids this by fixing the
amplitudes to natural photos', but a fixed contrast also caps how strongly the
unit can be driven (0.66-0.98x Lucent's robust objective in bench_natural).

The ``"soft"`` recipe keeps the Fourier picture's freedom and constrains the
value range instead: a penalty on the pre-sigmoid values beyond
``+-`` :data:`SOFT_LIMIT` (the logit of 0.95), zero inside it and quadratic
outside, is subtracted from the objective. Pixels settle where the sigmoid
still has slope, so the optimizer keeps a gradient on every pixel; in the
benchmarks no pixel is clipped and the robust objective is 1.00-1.08x Lucent's
512-step one (``"fft"`` reaches 1.06-1.22x by clipping 39-92 % of pixels). Two
more changes give the picture a natural photo's spectral fall-off (power
slope near -2.5; -2.20 to -2.53 at 176 steps): a coarser parameter (:data:`SOFT_PARAM_SCALE` of the
picture's side, upsampled) and a steeper frequency scaling
(:data:`SOFT_DECAY_POWER`). Figures: benchmarks/RESULTS.md, bench_natural.
"""

from __future__ import annotations

import math

import torch

SOFT_LIMIT = math.log(0.95 / 0.05)
"""Pre-sigmoid value beyond which the range penalty applies (the logit of 0.95: pixels in [0.05, 0.95] are free)."""

SOFT_WEIGHT = 10.0
"""Weight of the range penalty against the objective."""

SOFT_DECAY_POWER = 1.6
"""The ``"soft"`` recipe's Fourier scaling ``1/f**1.6`` (``"fft"`` uses 1.25)."""

SOFT_PARAM_SCALE = 72 / 224
"""Side of the ``"soft"`` recipe's optimized parameter relative to the picture (``"fft"``: 128/224; 72/224 keeps the
power spectrum near the photos' slope, 80/224 left it flatter than -2.2 in bench_natural)."""


def range_penalty(pre_sigmoid: torch.Tensor, limit: float = SOFT_LIMIT) -> torch.Tensor:
    """Per picture, the mean of ``relu(|z| - limit) ** 2`` over channels and pixels: ``(N,)``.

    ``pre_sigmoid`` is the ``(N, 3, H, W)`` value the sigmoid receives; the
    penalty is 0 while every pixel stays within ``sigmoid(+-limit)``.
    """
    excess = torch.relu(pre_sigmoid.abs() - limit)
    return excess.pow(2).mean(dim=tuple(range(1, pre_sigmoid.dim())))


__all__ = ["SOFT_DECAY_POWER", "SOFT_LIMIT", "SOFT_PARAM_SCALE", "SOFT_WEIGHT", "range_penalty"]
