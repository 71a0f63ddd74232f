"""Procedural training images for the offline default model.

Every image shows one thing to recognise, composed over a background:

* a **shape** (circle, square, triangle, star, cross, ring) at a random
  position, scale and rotation, filled with a flat colour or a colour field
  (a two-colour gradient);
* or a **texture** (horizontal, vertical and the two diagonal gratings,
  checkerboard, dots) with random colours, period and phase, filling the whole
  picture or a large window of it.

Backgrounds are crops of the bundled sample photos (random position, scale,
mirror and colour jitter), smooth colour fields or flat colours. Edges are
anti-aliased; a little blur, noise and contrast jitter finish each picture.
The class is the shape or texture, so the task needs colour-blind shape,
orientation and texture understanding; colours, positions and scales are
nuisances.

Everything is vectorized torch on the CPU and driven by one
:class:`torch.Generator`, so a seed fixes a data set exactly::

    images, labels = make_batch(64, seed=0)      # (64, 3, 128, 128) in [0, 1]
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F

from ..engine.images import load_image
from ..engine.preprocessing import Preprocess, to_tensor
from .samples import samples

SHAPES = ("circle", "square", "triangle", "star", "cross", "ring")
TEXTURES = (
    "stripes_horizontal",
    "stripes_vertical",
    "stripes_diagonal_down",
    "stripes_diagonal_up",
    "checkerboard",
    "dots",
)
CLASSES = SHAPES + TEXTURES
"""Class names, in label order."""

_ORIENTATION = {  # direction (radians, y pointing down as in the picture) of the stripe *lines*
    "stripes_horizontal": 0.0,
    "stripes_vertical": math.pi / 2,
    "stripes_diagonal_down": math.pi / 4,  # lines fall to the right: "\"
    "stripes_diagonal_up": -math.pi / 4,  # lines rise to the right: "/"
}
_ORIENTATION_JITTER = math.radians(8)
_PHOTO_SIDE = 256


def make_batch(
    n: int,
    *,
    size: int = 128,
    seed: int | None = None,
    generator: torch.Generator | None = None,
    labels: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Render ``n`` labelled images.

    Args:
        n: number of images.
        size: side of the square images in pixels.
        seed: seed for a fresh generator (ignored when ``generator`` is given).
        generator: the random source to draw from (advanced in place).
        labels: ``(n,)`` class indices to render; random (balanced in
            expectation) when omitted.

    Returns:
        ``images`` of shape ``(n, 3, size, size)``, float32 in [0, 1], and
        ``labels`` of shape ``(n,)``, int64 indices into :data:`CLASSES`.
    """
    g = generator if generator is not None else torch.Generator().manual_seed(0 if seed is None else seed)
    if labels is None:
        labels = torch.randint(len(CLASSES), (n,), generator=g)
    labels = torch.as_tensor(labels, dtype=torch.int64)
    x, y = _grid(size)
    px = 2.0 / size  # one pixel in normalized coordinates ([-1, 1] across the image)

    images = _background(n, size, g)
    bg_mean = images.mean(dim=(2, 3))
    for c, name in enumerate(CLASSES):
        idx = (labels == c).nonzero().flatten()
        k = len(idx)
        if k == 0:
            continue
        if name in SHAPES:
            mask = _shape_mask(name, k, x, y, px, g)
            fill = _fill(k, size, x, y, bg_mean[idx], g)
        else:
            pattern = _texture(name, k, x, y, px, g)
            c1 = _rand(k, 3, g=g)
            c2 = _contrasting(c1, g)
            fill = c1[:, :, None, None] * (1 - pattern[:, None]) + c2[:, :, None, None] * pattern[:, None]
            mask = _window(k, x, y, px, g)
        images[idx] = images[idx] * (1 - mask[:, None]) + fill * mask[:, None]
    return _finish(images, g), labels


# --------------------------------------------------------------------------- geometry


@lru_cache(maxsize=8)
def _grid(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel-centre coordinates in [-1, 1], ``(1, size, size)`` each; y points down."""
    t = (torch.arange(size, dtype=torch.float32) + 0.5) / size * 2 - 1
    y, x = torch.meshgrid(t, t, indexing="ij")
    return x[None], y[None]


def _rand(*shape, g, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
    return low + (high - low) * torch.rand(shape, generator=g)


def _col(v: torch.Tensor) -> torch.Tensor:
    """``(k,)`` → ``(k, 1, 1)`` for broadcasting against image grids."""
    return v[:, None, None]


def _rotate(x, y, cx, cy, angle):
    c, s = _col(torch.cos(angle)), _col(torch.sin(angle))
    dx, dy = x - _col(cx), y - _col(cy)
    return c * dx + s * dy, -s * dx + c * dy


def _coverage(d: torch.Tensor, softness: torch.Tensor) -> torch.Tensor:
    """Anti-aliased inside-ness from a signed distance ``d`` (negative inside)."""
    return (0.5 - d / _col(softness)).clamp(0, 1)


def _star_radius(phi, n: int, r_out, r_in):
    """Boundary radius at polar angle ``phi`` of an ``n``-fold star or polygon.

    The outline runs straight between outer vertices (radius ``r_out``, at
    angles ``2πk/n``) and inner vertices (``r_in``, half-way between). A
    regular polygon is the case ``r_in = r_out · cos(π/n)``.
    """
    a = math.pi / n
    phi = torch.remainder(phi, 2 * a)
    phi = torch.where(phi > a, 2 * a - phi, phi)
    return r_out * r_in * math.sin(a) / (r_in * torch.sin(a - phi) + r_out * torch.sin(phi))


def _shape_mask(name: str, k: int, x, y, px: float, g) -> torch.Tensor:
    radius = _rand(k, g=g, low=0.32, high=0.72)  # circumradius; the image spans [-1, 1]
    cx = _rand(k, g=g, low=-1, high=1) * (0.95 - radius)
    cy = _rand(k, g=g, low=-1, high=1) * (0.95 - radius)
    angle = _rand(k, g=g, high=2 * math.pi)
    softness = px * _rand(k, g=g, low=1.0, high=2.5)
    u, v = _rotate(x, y, cx, cy, angle)
    r = torch.sqrt(u * u + v * v)
    phi = torch.atan2(v, u)
    R = _col(radius)
    if name == "circle":
        d = r - R * 0.8
    elif name == "ring":
        inner = _col(_rand(k, g=g, low=0.45, high=0.7))
        d = torch.maximum(r - R * 0.85, R * 0.85 * inner - r)
    elif name == "square":
        d = r - _star_radius(phi, 4, R, R * math.cos(math.pi / 4))
    elif name == "triangle":
        d = r - _star_radius(phi, 3, R, R * math.cos(math.pi / 3))
    elif name == "star":
        d = r - _star_radius(phi, 5, R, R * _col(_rand(k, g=g, low=0.38, high=0.5)))
    elif name == "cross":
        w = R * _col(_rand(k, g=g, low=0.25, high=0.38))
        bar1 = torch.maximum(u.abs() - R, v.abs() - w)
        bar2 = torch.maximum(v.abs() - R, u.abs() - w)
        d = torch.minimum(bar1, bar2)
    else:  # pragma: no cover - guarded by CLASSES
        raise ValueError(name)
    return _coverage(d, softness)


def _texture(name: str, k: int, x, y, px: float, g) -> torch.Tensor:
    """A ``(k, H, W)`` pattern in [0, 1]."""
    period = _rand(k, g=g, low=0.1, high=0.34)  # 6-22 px at 128 px
    phase = _rand(k, g=g, high=2 * math.pi)
    # Sharpness: 1 is a sinusoid; larger approaches a square wave with ~1 px edges.
    sharp = 1 + _rand(k, g=g) * (period / px / math.pi - 1).clamp(min=0)
    zero = torch.zeros(k)
    if name in _ORIENTATION:
        angle = _ORIENTATION[name] + _rand(k, g=g, low=-1, high=1) * _ORIENTATION_JITTER
        _, v = _rotate(x, y, zero, zero, angle)
        s = torch.sin(v * (2 * math.pi / _col(period)) + _col(phase))
        return (0.5 + 0.5 * s * _col(sharp)).clamp(0, 1)
    angle = _rand(k, g=g, high=math.pi / 2)
    u, v = _rotate(x, y, zero, zero, angle)
    if name == "checkerboard":
        period = period * 1.6  # a cell is half a period
        s = torch.sin(u * (2 * math.pi / _col(period)) + _col(phase)) * torch.sin(v * (2 * math.pi / _col(period)))
        return (0.5 + 0.5 * s * _col(sharp) * 2).clamp(0, 1)
    if name == "dots":
        spacing = _col(period * 1.1)
        a, b = u / spacing + _col(phase), v / spacing
        hexagonal = _col((torch.rand(k, generator=g) < 0.5).float())
        row = torch.floor(b + 0.5)
        a = a + hexagonal * 0.5 * torch.remainder(row, 2)
        da, db = a - torch.round(a), b - row
        dist = torch.sqrt(da * da + db * db) * spacing
        dot = spacing * _col(_rand(k, g=g, low=0.2, high=0.34))
        return _coverage(dist - dot, torch.full((k,), px * 1.2))
    raise ValueError(name)  # pragma: no cover


def _window(k: int, x, y, px: float, g) -> torch.Tensor:
    """Where a texture shows: the whole picture, a large ellipse or a large rectangle."""
    kind = torch.rand(k, generator=g)
    hw, hh = _rand(k, g=g, low=0.55, high=0.95), _rand(k, g=g, low=0.55, high=0.95)
    cx = _rand(k, g=g, low=-1, high=1) * (1 - hw) * 0.8
    cy = _rand(k, g=g, low=-1, high=1) * (1 - hh) * 0.8
    u, v = (x - _col(cx)) / _col(hw), (y - _col(cy)) / _col(hh)
    ellipse = (torch.sqrt(u * u + v * v) - 1) * _col(torch.minimum(hw, hh))
    rect = torch.maximum((x - _col(cx)).abs() - _col(hw), (y - _col(cy)).abs() - _col(hh))
    d = torch.where(_col(kind < 0.5), ellipse, rect)
    d = torch.where(_col(kind < 0.35), torch.full_like(d, -1.0), d)  # first 35 %: everywhere
    return _coverage(d, torch.full((k,), px * 1.5))


# --------------------------------------------------------------------------- colour


def _contrasting(ref: torch.Tensor, g, candidates: int = 6) -> torch.Tensor:
    """For each ``(3,)`` colour in ``ref``, the farthest of a few random colours."""
    cand = torch.rand(ref.shape[0], candidates, 3, generator=g)
    best = (cand - ref[:, None]).norm(dim=2).argmax(dim=1)
    return cand[torch.arange(ref.shape[0]), best]


def _fill(k: int, size: int, x, y, bg_mean, g) -> torch.Tensor:
    """Shape fills: a flat colour, or a colour field (two-colour gradient), contrasting with the background."""
    c1 = _contrasting(bg_mean, g)
    c2 = (c1 + _rand(k, 3, g=g, low=-0.35, high=0.35)).clamp(0, 1)
    angle = _rand(k, g=g, high=2 * math.pi)
    t = (_col(torch.cos(angle)) * x + _col(torch.sin(angle)) * y) * 0.5 + 0.5
    t = t * _col((torch.rand(k, generator=g) < 0.5).float())  # half flat, half gradient
    return c1[:, :, None, None] * (1 - t[:, None]) + c2[:, :, None, None] * t[:, None]


@lru_cache(maxsize=1)
def _photos() -> torch.Tensor:
    """The bundled sample photos, centre-cropped to squares, ``(P, 3, 256, 256)`` in [0, 1]."""
    crop = Preprocess(size=_PHOTO_SIDE)
    return torch.stack([to_tensor(crop.crop(load_image(p))) for p in samples().values()])


def _background(n: int, size: int, g) -> torch.Tensor:
    kind = torch.rand(n, generator=g)
    # Smooth colour field: a random 2x2 .. 4x4 grid of colours, bilinearly enlarged.
    cells = int(torch.randint(2, 5, (1,), generator=g))
    field = F.interpolate(torch.rand(n, 3, cells, cells, generator=g), size=(size, size), mode="bicubic", align_corners=True)
    flat = torch.rand(n, 3, 1, 1, generator=g).expand(n, 3, size, size)
    out = torch.where((kind < 0.7)[:, None, None, None], field.clamp(0, 1), flat)

    photos = _photos()
    which = torch.randint(len(photos), (n,), generator=g)
    scale = _rand(n, g=g, low=0.2, high=1.0)
    cx, cy = _rand(n, g=g, low=-1, high=1) * (1 - scale), _rand(n, g=g, low=-1, high=1) * (1 - scale)
    mirror = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    gain = _rand(n, 3, g=g, low=0.6, high=1.3)
    grey = _rand(n, g=g, high=0.7)  # partial desaturation
    use_photo = (kind >= 0.45).nonzero().flatten()  # 55 % photo crops
    for p in range(len(photos)):
        idx = use_photo[which[use_photo] == p]
        if len(idx) == 0:
            continue
        theta = torch.zeros(len(idx), 2, 3)
        theta[:, 0, 0] = scale[idx] * mirror[idx]
        theta[:, 1, 1] = scale[idx]
        theta[:, 0, 2], theta[:, 1, 2] = cx[idx], cy[idx]
        grid = F.affine_grid(theta, [len(idx), 3, size, size], align_corners=False)
        crop = F.grid_sample(photos[p : p + 1].expand(len(idx), -1, -1, -1), grid, mode="bilinear", align_corners=False)
        lum = crop.mean(dim=1, keepdim=True)
        w = grey[idx][:, None, None, None]
        crop = (crop * (1 - w) + lum * w) * gain[idx][:, :, None, None]
        out[idx] = crop.clamp(0, 1)
    return out.contiguous()


def _finish(images: torch.Tensor, g) -> torch.Tensor:
    """Blur some, jitter contrast and brightness, add sensor noise."""
    n = images.shape[0]
    blur = (torch.rand(n, generator=g) < 0.25).nonzero().flatten()
    if len(blur):
        kernel = torch.tensor([1.0, 2.0, 1.0]) / 4
        kernel = (kernel[:, None] * kernel[None, :]).expand(3, 1, 3, 3)
        images[blur] = F.conv2d(F.pad(images[blur], (1, 1, 1, 1), mode="replicate"), kernel, groups=3)
    contrast = _rand(n, g=g, low=0.75, high=1.15)[:, None, None, None]
    bright = _rand(n, g=g, low=-0.08, high=0.08)[:, None, None, None]
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    images = (images - mean) * contrast + mean + bright
    sigma = _rand(n, g=g, high=0.04)[:, None, None, None]
    images = images + sigma * torch.randn(images.shape, generator=g)
    return images.clamp(0, 1)
