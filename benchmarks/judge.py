"""One identical yardstick for every feature-visualization benchmark.

A picture is judged by how strongly it drives the unit from many views, not
from the one exact view an optimizer may have overfitted: the unit's mean
activation averaged over a fixed set of random views (shift, scale,
rotation), each drawn from a fixed seed so every picture sees the same views.
High-frequency energy is reported beside it, so that adversarial noise cannot
pass for quality.

Naturalness is judged beside the objective, on the picture as saved (224 px):

- :func:`clipped_share`: share of pixels with any channel at <= 0.02 or >= 0.98
  (pure black, white and primaries where the sigmoid ran to its ends);
- :func:`spectral_slope`: slope of the radially averaged power spectrum on
  log-log axes (natural photos are near -2);
- :func:`hf_share`: share of spectral energy above a quarter cycle per pixel;
- :func:`saturation`: mean HSV colour saturation;
- :func:`near_end_share`: share of pixels with any channel at <= 0.05 or >= 0.95, a
  stricter look at the ends, so that a picture whose pixels pile up just inside
  the clipping thresholds cannot pass for unclipped.

:func:`photo_reference` gives the four figures on the bundled sample photos
(values in benchmarks/RESULTS.md, "bench_natural").
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


CLIP_LOW, CLIP_HIGH = 0.02, 0.98
SLOPE_BAND = (2 / 224, 0.25)
"""Frequencies (cycles per pixel) the spectral slope is fitted over: 2 cycles per picture to a quarter cycle per pixel."""


def clipped_share(pixels: torch.Tensor, size: int = 224) -> float:
    """Share of pixels with any channel at or below 0.02 or at or above 0.98."""
    x = to_size(pixels, size)
    clipped = ((x <= CLIP_LOW) | (x >= CLIP_HIGH)).any(dim=1)
    return float(clipped.float().mean())


NEAR_LOW, NEAR_HIGH = 0.05, 0.95


def near_end_share(pixels: torch.Tensor, size: int = 224) -> float:
    """Share of pixels with any channel at or below 0.05 or at or above 0.95."""
    x = to_size(pixels, size)
    return float(((x <= NEAR_LOW) | (x >= NEAR_HIGH)).any(dim=1).float().mean())


def spectral_slope(pixels: torch.Tensor, size: int = 224) -> float:
    """Slope of log power against log frequency, radially averaged, for the grey picture.

    The grey picture (mean of the channels, its mean removed) is windowed with a
    2-D Hann window so that the picture's edges add no cross of false energy;
    power is averaged in rings one frequency bin wide and the slope fitted by
    least squares over :data:`SLOPE_BAND`. Averaged over a batch.
    """
    x = to_size(pixels, size).mean(dim=1).double()
    x = x - x.mean(dim=(-2, -1), keepdim=True)
    window = torch.hann_window(size, periodic=False, dtype=torch.float64)
    power = torch.fft.fft2(x * (window[:, None] * window[None, :])).abs().pow(2).mean(dim=0)
    f = torch.fft.fftfreq(size, dtype=torch.float64)
    radius = torch.sqrt(f[:, None] ** 2 + f[None, :] ** 2)
    ring = torch.round(radius * size).long()
    lo, hi = round(SLOPE_BAND[0] * size), round(SLOPE_BAND[1] * size)
    rings = torch.arange(lo, hi + 1)
    mean_power = torch.stack([power[ring == r].mean() for r in rings])
    logf, logp = torch.log(rings.double() / size), torch.log(mean_power.clamp_min(1e-30))
    logf_c = logf - logf.mean()
    return float((logf_c * (logp - logp.mean())).sum() / (logf_c * logf_c).sum())


def saturation(pixels: torch.Tensor, size: int = 224) -> float:
    """Mean HSV saturation ``(max - min) / max`` over pixels (0 where the pixel is black)."""
    x = to_size(pixels, size).clamp(0, 1)
    top, bottom = x.amax(dim=1), x.amin(dim=1)
    return float(torch.where(top > 0, (top - bottom) / top.clamp_min(1e-8), torch.zeros_like(top)).mean())


def naturalness(pixels: torch.Tensor, size: int = 224) -> dict[str, float]:
    """The four naturalness figures of a picture: ``clipped``, ``slope``, ``hf``, ``saturation``."""
    return {
        "clipped": clipped_share(pixels, size),
        "slope": spectral_slope(pixels, size),
        "hf": hf_share(pixels, size),
        "saturation": saturation(pixels, size),
        "near_end": near_end_share(pixels, size),
    }


def photo_pixels(size: int = 224) -> torch.Tensor:
    """The bundled sample photos, each resized and centre-cropped to ``size`` px, ``(N, 3, size, size)``."""
    from cnnwidget.data.samples import samples
    from cnnwidget.engine.preprocessing import to_tensor

    photos = []
    for path in samples().values():
        from PIL import Image

        with Image.open(path) as img:
            img = img.convert("RGB")
        scale = size / min(img.size)
        img = img.resize((max(size, round(img.size[0] * scale)), max(size, round(img.size[1] * scale))), Image.BICUBIC)
        left, top = (img.size[0] - size) // 2, (img.size[1] - size) // 2
        photos.append(to_tensor(img.crop((left, top, left + size, top + size))))
    return torch.stack(photos)


def photo_reference(size: int = 224) -> dict[str, dict[str, float]]:
    """:func:`naturalness` of each bundled sample photo, plus ``"mean"`` over them."""
    from cnnwidget.data.samples import samples

    pixels = photo_pixels(size)
    figures = {name: naturalness(p[None], size) for name, p in zip(samples(), pixels)}
    figures["mean"] = {k: sum(f[k] for f in figures.values()) / len(figures) for k in ("clipped", "slope", "hf", "saturation", "near_end")}
    return figures


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
