"""Transparency masks: where in an optimized picture the unit actually looked.

MACO (Fel et al., NeurIPS 2023) accumulates, over the whole optimization, the
magnitude of the objective's gradient with respect to each pixel. Regions the
unit never used stay near zero; shown as transparency, the picture fades out
where it does not matter.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from PIL import Image

MASK_QUANTILE = 0.99
"""The accumulated gradient at this quantile of each picture maps to full opacity."""


def attention_mask(accumulated: torch.Tensor, blur: float | None = None) -> torch.Tensor:
    """Accumulated gradient magnitudes ``(N, H, W)`` as masks in [0, 1].

    Each map is smoothed by a Gaussian (``blur`` px standard deviation, by
    default 1/100 of the side, at least 1 px) and divided by its
    :data:`MASK_QUANTILE` quantile, then clipped to 1. An all-zero map (no step
    run yet) stays zero.
    """
    x = accumulated.detach().float()
    if x.dim() == 2:
        x = x[None]
    sigma = max(1.0, x.shape[-1] / 100) if blur is None else float(blur)
    x = _gaussian_blur(x[:, None], sigma)[:, 0]
    top = torch.quantile(x.flatten(1), MASK_QUANTILE, dim=1).clamp_min(1e-12)[:, None, None]
    return (x / top).clamp(0, 1) * (x.flatten(1).amax(dim=1) > 0).float()[:, None, None]


def with_transparency(image: Image.Image, mask) -> Image.Image:
    """``image`` as RGBA with ``mask`` (a ``(H, W)`` tensor in [0, 1] or an "L" image) as its alpha."""
    if isinstance(mask, torch.Tensor):
        mask = Image.fromarray((mask.detach().float().clamp(0, 1) * 255).round().byte().cpu().numpy())
    if mask.size != image.size:
        mask = mask.resize(image.size, Image.BILINEAR)
    out = image.convert("RGBA")
    out.putalpha(mask.convert("L"))
    return out


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, int(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    kernel = torch.exp(-t * t / (2 * sigma * sigma))
    kernel = kernel / kernel.sum()
    x = F.pad(x, [radius, radius, radius, radius], mode="replicate")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1))
    return F.conv2d(x, kernel.view(1, 1, -1, 1))


__all__ = ["MASK_QUANTILE", "attention_mask", "with_transparency"]
