"""The magnitude spectrum of natural photos, fixed in MACO pictures.

MACO (Fel et al., "Unlocking Feature Visualization for Deeper Networks with
MAgnitude Constrained Optimization", NeurIPS 2023) keeps the amplitude of every
frequency at the value natural images have and lets the optimizer choose only
the phases. This module computes that amplitude offline from a set of photos,
loads the one that ships with the package, and resamples it to any picture size.

The spectrum lives where :class:`~cnnwidget.engine.parameterization.MacoImage`
applies it: in the pre-sigmoid, colour-decorrelated space of the decoder
(``raw = C^-1 logit(pixels)``), so that a picture with the photos' phases would
decode to photo-like pixels. The mean colour (the zero frequency) is left out.

The shipped file, ``natural_spectrum.npy`` beside this module, is made from the
bundled sample photos by ``scripts/make_natural_spectrum.py``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterable

import numpy as np
import torch
import torch.nn.functional as F

from .colour_correlation import COLOR_CORRELATION
from .images import load_image

SPECTRUM_FILE = Path(__file__).resolve().parent / "natural_spectrum.npy"
"""The magnitude spectrum shipped with the package: ``(3, 128, 128)`` float32, zero frequency centred."""

SPECTRUM_SIZE = 128
"""Side (px) of the square crops the spectrum is measured on."""

_PIXEL_CLAMP = 0.01  # photo pixels are clamped to [0.01, 0.99] before the inverse sigmoid
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def compute_spectrum(images: Iterable, size: int = SPECTRUM_SIZE) -> torch.Tensor:
    """The mean magnitude spectrum of ``images`` in the decoder's raw space.

    Each image (a PIL image, or a ``(3, H, W)`` tensor in [0, 1]) is resized so
    that its shorter side is ``size``, centre-cropped to ``size`` x ``size``,
    mapped to raw space (inverse sigmoid, inverse colour correlation), its
    per-channel mean removed and a Hann window applied; the magnitudes of the
    orthonormal 2-D FFTs are averaged. Each channel is then scaled so that its
    root-mean-square equals the photos' raw RMS (Parseval), so the spectrum
    also carries the photos' contrast.

    Returns:
        ``(3, size, size)`` float32, zero frequency at index ``size // 2`` (``fftshift`` layout).
    """
    inverse = torch.linalg.inv(COLOR_CORRELATION.double())
    window = torch.hann_window(size, periodic=False, dtype=torch.float64)
    window = window[:, None] * window[None, :]
    total, energy, count = torch.zeros(3, size, size, dtype=torch.float64), torch.zeros(3, dtype=torch.float64), 0
    for image in images:
        raw = _raw_crop(image, size, inverse)
        energy += raw.pow(2).mean(dim=(-2, -1))
        total += torch.fft.fft2(raw * window, norm="ortho").abs()
        count += 1
    if count == 0:
        raise ValueError("no images to measure a spectrum on; give at least one photo")
    magnitude = total / count
    magnitude[:, 0, 0] = 0.0
    rms, current = (energy / count).sqrt(), magnitude.pow(2).mean(dim=(-2, -1)).sqrt()
    if float(current.max()) == 0.0:
        raise ValueError("the photos are flat (one colour each), so they have no spectrum; give real photos")
    magnitude *= torch.where(current > 0, rms / current.clamp_min(1e-30), torch.zeros_like(rms))[:, None, None]
    return torch.fft.fftshift(magnitude, dim=(-2, -1)).float()


def spectrum_from_folder(folder, size: int = SPECTRUM_SIZE) -> torch.Tensor:
    """:func:`compute_spectrum` of every image file (jpg, png, bmp, webp) in ``folder``."""
    paths = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES) if Path(folder).is_dir() else []
    if not paths:
        raise ValueError(f"no image files (jpg, png, bmp, webp) in {str(folder)!r}; name a folder of photos")
    return compute_spectrum((load_image(p) for p in paths), size)


def shipped_spectrum() -> torch.Tensor:
    """The spectrum in :data:`SPECTRUM_FILE` (made from the bundled sample photos)."""
    return torch.from_numpy(np.load(SPECTRUM_FILE))


def resolve_spectrum(source) -> torch.Tensor:
    """A ``(3, S, S)`` centred spectrum from ``None`` (the shipped one), a folder of photos, or a tensor."""
    if source is None:
        return shipped_spectrum()
    if isinstance(source, torch.Tensor):
        if source.dim() != 3 or source.shape[0] != 3 or source.shape[1] != source.shape[2]:
            raise ValueError(f"a spectrum must be (3, S, S) as compute_spectrum returns; got {tuple(source.shape)}")
        return source.float()
    return spectrum_from_folder(source)


def magnitude_for(spectrum: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The spectrum resampled to an ``(height, width)`` picture's ``rfft2`` layout: ``(3, height, width // 2 + 1)``.

    Frequencies are matched in cycles per pixel (natural images are close to
    scale-invariant). Each channel keeps the root-mean-square amplitude of
    ``spectrum``, so the decoded picture keeps the photos' contrast at any size.
    The zero frequency is 0.
    """
    side = spectrum.shape[-1]
    fy = torch.fft.fftfreq(height, dtype=torch.float64)
    fx = torch.fft.fftfreq(width, dtype=torch.float64)
    # centred index of frequency f is f * side + side // 2; grid_sample wants [-1, 1] (align_corners=True)
    gy = (fy * side + side // 2) / (side - 1) * 2 - 1
    gx = (fx * side + side // 2) / (side - 1) * 2 - 1
    grid = torch.stack(torch.meshgrid(gx, gy, indexing="xy"), dim=-1)[None].float()
    full = F.grid_sample(spectrum[None].float(), grid, mode="bilinear", padding_mode="border", align_corners=True)[0]
    full[:, 0, 0] = 0.0
    target = spectrum.pow(2).mean(dim=(-2, -1)).sqrt()
    full = full * (target / full.pow(2).mean(dim=(-2, -1)).sqrt().clamp_min(1e-12))[:, None, None]
    return full[:, :, : width // 2 + 1].contiguous()


def _raw_crop(image, size: int, inverse: torch.Tensor) -> torch.Tensor:
    if isinstance(image, torch.Tensor):
        pixels = image.detach().double()
    else:
        pixels = torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0).permute(2, 0, 1)
    h, w = pixels.shape[-2:]
    scale = size / min(h, w)
    new = (max(size, math.ceil(h * scale - 1e-9)), max(size, math.ceil(w * scale - 1e-9)))
    pixels = F.interpolate(pixels[None], size=new, mode="bilinear", antialias=True, align_corners=False)[0]
    top, left = (new[0] - size) // 2, (new[1] - size) // 2
    pixels = pixels[:, top : top + size, left : left + size]
    raw = torch.logit(pixels.clamp(_PIXEL_CLAMP, 1 - _PIXEL_CLAMP))
    raw = torch.einsum("chw,dc->dhw", raw, inverse)
    return raw - raw.mean(dim=(-2, -1), keepdim=True)


__all__ = [
    "SPECTRUM_FILE",
    "SPECTRUM_SIZE",
    "compute_spectrum",
    "magnitude_for",
    "resolve_spectrum",
    "shipped_spectrum",
    "spectrum_from_folder",
]
