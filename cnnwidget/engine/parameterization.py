"""How an optimized picture is stored: plain pixels, a decorrelated Fourier spectrum, or phases only.

All decode to ``(N, 3, H, W)`` pixels in ``[0, 1]`` through the same last two
steps: an optional colour decorrelation (a 3x3 square root of ImageNet's
colour covariance) and a sigmoid. The Fourier form scales each frequency by
``1 / f`` so that plain gradient steps change coarse structure as easily as
fine detail (Olah et al., "Feature Visualization", Distill 2017); pictures
come out smoother and less adversarial than with raw pixels.

The MACO form (Fel et al., NeurIPS 2023) fixes the amplitude of every
frequency to that of natural photos (:mod:`~cnnwidget.engine.natural_spectrum`)
and optimizes only the phases and the mean colour, so the picture keeps the
photos' contrast and spectral fall-off.

Pixel and Fourier pictures can start from a given picture:
:meth:`ImageParam.set_pixels` inverts the decoding exactly, so the first
decoded image is that picture. A MACO picture takes the picture's phases and
mean colour but keeps its fixed amplitudes.
"""

from __future__ import annotations

import torch

from .colour_correlation import COLOR_CORRELATION
from .natural_spectrum import magnitude_for, resolve_spectrum, shipped_spectrum

FFT_MAGIC = 4.0
"""Divides the inverse FFT (Lucid's constant; smaller values give more saturated images)."""

_EPS = 1e-4  # pixels are clamped to [EPS, 1 - EPS] before the inverse sigmoid


class ImageParam:
    """A batch of pictures stored as optimizable tensors.

    Attributes:
        params: the tensors an optimizer updates (they require grad).
        batch, height, width: the decoded picture's shape ``(batch, 3, height, width)``.
        decorrelate: whether colours pass through :data:`COLOR_CORRELATION`.
    """

    def __init__(self, batch: int, height: int, width: int, decorrelate: bool = True) -> None:
        self.batch, self.height, self.width = batch, height, width
        self.decorrelate = decorrelate
        self.params: list[torch.Tensor] = []
        self.pre_sigmoid: torch.Tensor | None = None
        """What the sigmoid received in the last decoding (differentiable; for range penalties)."""

    def raw(self) -> torch.Tensor:
        """The pre-colour, pre-sigmoid picture ``(N, 3, H, W)`` (differentiable)."""
        raise NotImplementedError

    def set_raw(self, raw: torch.Tensor) -> None:
        """Set the parameters so that :meth:`raw` returns ``raw``."""
        raise NotImplementedError

    def __call__(self) -> torch.Tensor:
        """Decode to ``(N, 3, H, W)`` pixels in ``[0, 1]`` (differentiable)."""
        raw = self.raw()
        if self.decorrelate:
            matrix = COLOR_CORRELATION.to(raw.device, raw.dtype)
            raw = torch.einsum("nchw,dc->ndhw", raw, matrix)
        self.pre_sigmoid = raw
        return torch.sigmoid(raw)

    @torch.no_grad()
    def set_pixels(self, pixels: torch.Tensor) -> None:
        """Start from ``pixels`` (``(3, H, W)`` or ``(N, 3, H, W)`` in [0, 1], broadcast over the batch)."""
        device = self.params[0].device
        pixels = pixels.to(device=device, dtype=torch.float32)
        if pixels.dim() == 3:
            pixels = pixels[None]
        if tuple(pixels.shape[-2:]) != (self.height, self.width):
            pixels = torch.nn.functional.interpolate(
                pixels, size=(self.height, self.width), mode="bilinear", antialias=True,
                align_corners=False,
            )
        pixels = pixels.expand(self.batch, 3, self.height, self.width)
        raw = torch.logit(pixels.clamp(_EPS, 1 - _EPS))
        if self.decorrelate:
            inverse = torch.linalg.inv(COLOR_CORRELATION).to(device)
            raw = torch.einsum("nchw,dc->ndhw", raw, inverse)
        self.set_raw(raw)


class PixelImage(ImageParam):
    """Each pixel is a free parameter (before colour decorrelation and the sigmoid).

    Args:
        batch, height, width: decoded shape.
        decorrelate: see :class:`ImageParam`.
        sd: standard deviation of the initial random values.
        generator: random source for the initial values; a list of generators
            gives each picture its own (see :func:`_noise`).
        device: where the parameters live.
    """

    def __init__(self, batch, height, width, *, decorrelate=True, sd=0.01, generator=None, device="cpu"):
        super().__init__(batch, height, width, decorrelate)
        noise = _noise((batch, 3, height, width), generator) * sd
        self.pixels = noise.to(device).requires_grad_(True)
        self.params = [self.pixels]

    def raw(self) -> torch.Tensor:
        return self.pixels

    def set_raw(self, raw: torch.Tensor) -> None:
        self.pixels.copy_(raw)


def _noise(shape: tuple, generator) -> torch.Tensor:
    """Standard normal noise of ``shape``; ``generator`` may be a list, one generator per batch item.

    Item ``i`` drawn from its own generator equals a one-item batch drawn from it,
    so a picture's start does not depend on the batch it is part of.
    """
    if isinstance(generator, (list, tuple)):
        if len(generator) != shape[0]:
            raise ValueError(f"got {len(generator)} generators for a batch of {shape[0]}; give one per picture")
        return torch.stack([torch.randn(shape[1:], generator=g) for g in generator])
    return torch.randn(shape, generator=generator)


def _frequency_scale(height: int, width: int, decay_power: float) -> torch.Tensor:
    fy = torch.fft.fftfreq(height)[:, None]
    fx = torch.fft.rfftfreq(width)[None, :]
    freqs = torch.sqrt(fx * fx + fy * fy)
    return 1.0 / freqs.clamp_min(1.0 / max(height, width)) ** decay_power


class FourierImage(ImageParam):
    """The picture's real 2-D spectrum is the parameter, each frequency scaled by ``1/f``.

    Args:
        batch, height, width: decoded shape.
        decorrelate: see :class:`ImageParam`.
        sd: standard deviation of the initial random spectrum.
        decay_power: exponent of the ``1/f`` scaling (1 as in Lucid; higher is smoother).
        generator: random source for the initial spectrum; a list of generators
            gives each picture its own (see :func:`_noise`).
        device: where the parameters live.
    """

    def __init__(
        self, batch, height, width, *, decorrelate=True, sd=0.01, decay_power=1.0,
        generator=None, device="cpu",
    ):
        super().__init__(batch, height, width, decorrelate)
        self.scale = _frequency_scale(height, width, decay_power).to(device)[None, None, :, :, None]
        shape = (batch, 3, height, width // 2 + 1, 2)
        self.spectrum = (_noise(shape, generator) * sd).to(device).requires_grad_(True)
        self.params = [self.spectrum]

    def raw(self) -> torch.Tensor:
        scaled = torch.view_as_complex(self.spectrum * self.scale)
        image = torch.fft.irfft2(scaled, s=(self.height, self.width), norm="ortho")
        return image / FFT_MAGIC

    def set_raw(self, raw: torch.Tensor) -> None:
        spectrum = torch.fft.rfft2(raw * FFT_MAGIC, norm="ortho")
        self.spectrum.copy_(torch.view_as_real(spectrum) / self.scale)


MACO_COLOUR_LIMIT = 1.5
"""Largest mean-colour offset of a MACO picture, per decorrelated channel (pre-sigmoid units)."""

MACO_CONTRAST = 1.5
"""Factor on the photos' amplitudes in a MACO picture.

At 1.0 the pictures come out greyer than the bundled photos and clip less
(about 2 % of pixels at a channel's end against the photos' 8 %, mean
saturation 0.31 against 0.38); at 1.5 they clip about as often as the photos
do (see benchmarks/RESULTS.md, bench_natural). The spectrum's shape is unchanged."""


class MacoImage(ImageParam):
    """Phase-only Fourier picture: amplitudes fixed to natural photos', phases and mean colour optimized.

    ``raw = irfft2(contrast * magnitude * exp(i * phase)) + colour``, then colour
    decorrelation and the sigmoid as for the other forms. The mean colour is
    ``MACO_COLOUR_LIMIT * tanh(c)`` per decorrelated channel, so it cannot run
    to the sigmoid's ends.

    Args:
        batch, height, width: decoded shape.
        magnitude: ``(3, height, width // 2 + 1)`` fixed amplitudes (see
            :func:`~cnnwidget.engine.natural_spectrum.magnitude_for`); ``None``
            uses the shipped spectrum of the bundled photos.
        decorrelate: see :class:`ImageParam`.
        contrast: factor on ``magnitude`` (default :data:`MACO_CONTRAST`).
        generator: random source for the initial phases (uniform), a list gives each picture its own.
        device: where the parameters live.
    """

    def __init__(
        self, batch, height, width, *, magnitude=None, decorrelate=True, contrast=MACO_CONTRAST, generator=None,
        device="cpu",
    ):
        super().__init__(batch, height, width, decorrelate)
        if magnitude is None:
            magnitude = magnitude_for(shipped_spectrum(), height, width)
        expected = (3, height, width // 2 + 1)
        if tuple(magnitude.shape) != expected:
            raise ValueError(f"the magnitude must be {expected} for a {height}x{width} picture, got {tuple(magnitude.shape)}")
        self.magnitude = (float(contrast) * magnitude.float()).to(device)
        phase = (_uniform((batch, 3, height, width // 2 + 1), generator) * 2 - 1) * torch.pi
        self.phase = phase.to(device).requires_grad_(True)
        self.colour = torch.zeros(batch, 3, 1, 1, device=device).requires_grad_(True)
        self.params = [self.phase, self.colour]

    def raw(self) -> torch.Tensor:
        spectrum = torch.polar(self.magnitude.expand_as(self.phase), self.phase)
        image = torch.fft.irfft2(spectrum, s=(self.height, self.width), norm="ortho")
        return image + MACO_COLOUR_LIMIT * torch.tanh(self.colour)

    def set_raw(self, raw: torch.Tensor) -> None:
        mean = raw.mean(dim=(-2, -1), keepdim=True)
        limit = MACO_COLOUR_LIMIT * (1 - 1e-3)
        self.colour.copy_(torch.atanh(mean.clamp(-limit, limit) / MACO_COLOUR_LIMIT))
        self.phase.copy_(torch.angle(torch.fft.rfft2(raw - mean, norm="ortho")))


def _uniform(shape: tuple, generator) -> torch.Tensor:
    """Uniform [0, 1) noise; one generator per batch item as in :func:`_noise`."""
    if isinstance(generator, (list, tuple)):
        if len(generator) != shape[0]:
            raise ValueError(f"got {len(generator)} generators for a batch of {shape[0]}; give one per picture")
        return torch.stack([torch.rand(shape[1:], generator=g) for g in generator])
    return torch.rand(shape, generator=generator)


PARAMS = ("soft", "fft", "maco", "pixel")
"""Accepted ``param`` names."""


def image_param(
    kind: str,
    batch: int,
    size: int | tuple[int, int],
    *,
    decorrelate: bool = True,
    decay_power: float = 1.0,
    spectrum=None,
    generator: torch.Generator | None = None,
    device="cpu",
) -> ImageParam:
    """Make a parameterized picture: ``kind`` is ``"fft"`` or ``"soft"`` (Fourier), ``"maco"`` (phase only) or ``"pixel"``.

    ``"soft"`` stores the picture as ``"fft"`` does; what sets it apart (a range
    penalty, a coarser parameter, a steeper scaling) is applied by the optimizer,
    see :mod:`~cnnwidget.engine.soft_range`.
    ``decay_power`` is the Fourier form's ``1/f**decay_power`` scaling (only for ``"fft"`` and ``"soft"``).
    ``spectrum`` is the MACO form's amplitude source (only for ``"maco"``): ``None``
    for the shipped spectrum of the bundled photos, a folder of photos, or a
    ``(3, S, S)`` tensor from :func:`~cnnwidget.engine.natural_spectrum.compute_spectrum`.
    """
    height, width = (size, size) if isinstance(size, int) else size
    if min(height, width) < 8:
        raise ValueError(f"the picture must be at least 8 px on a side, got {height}x{width}")
    if kind == "maco":
        magnitude = magnitude_for(resolve_spectrum(spectrum), height, width)
        return MacoImage(
            batch, height, width, magnitude=magnitude, decorrelate=decorrelate, generator=generator, device=device,
        )
    if kind in ("fft", "soft"):
        return FourierImage(
            batch, height, width, decorrelate=decorrelate, decay_power=decay_power, generator=generator,
            device=device,
        )
    if kind == "pixel":
        return PixelImage(batch, height, width, decorrelate=decorrelate, generator=generator, device=device)
    raise ValueError(
        f"unknown param {kind!r}; use 'soft' (Fourier, soft value range), 'fft' (Fourier), "
        "'maco' (natural amplitudes) or 'pixel'"
    )


def high_frequency_share(pixels: torch.Tensor, cutoff: float = 0.25) -> float:
    """Share of a picture's spectral energy (mean removed) above ``cutoff`` cycles per pixel.

    A diagnostic for adversarial, noisy visualizations: natural pictures and
    good feature visualizations keep most energy at low frequencies.
    """
    x = pixels.detach().float()
    if x.dim() == 3:
        x = x[None]
    x = x - x.mean(dim=(-2, -1), keepdim=True)
    power = torch.fft.fft2(x).abs().pow(2)
    fy = torch.fft.fftfreq(x.shape[-2])[:, None]
    fx = torch.fft.fftfreq(x.shape[-1])[None, :]
    high = torch.sqrt(fx * fx + fy * fy) > cutoff
    total = power.sum()
    return float(power[..., high].sum() / total) if total > 0 else 0.0


__all__ = [
    "COLOR_CORRELATION",
    "FourierImage",
    "ImageParam",
    "MACO_COLOUR_LIMIT",
    "MACO_CONTRAST",
    "MacoImage",
    "PARAMS",
    "PixelImage",
    "high_frequency_share",
    "image_param",
]
