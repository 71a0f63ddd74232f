"""The picture the explorer starts with, and the sample photos it offers."""

from __future__ import annotations

import numpy as np
from PIL import Image


def sample_names() -> list[str]:
    """Names of the bundled sample photos (empty when none ship)."""
    from .data.samples import samples

    return list(samples())


def sample_path(name: str):
    """Path of the sample photo ``name``; a ``ValueError`` naming the choices otherwise."""
    from .data.samples import samples

    found = samples()
    if name not in found:
        raise ValueError(f"no sample called {name!r}; choose one of {sorted(found)}")
    return found[name]


PREFERRED_SAMPLE = "chelsea"


def default_image():
    """The sample photo of a cat (or the first sample), or synthetic shapes when none ships."""
    names = sample_names()
    if names:
        return sample_path(PREFERRED_SAMPLE if PREFERRED_SAMPLE in names else names[0])
    return synthetic_picture()


def synthetic_picture(size: int = 256) -> Image.Image:
    """A colourful picture with edges, a disc and stripes, made without any file."""
    y, x = np.mgrid[0:size, 0:size] / size
    rgb = np.stack([x, y, 1 - x], axis=-1) * 0.6
    disc = (x - 0.35) ** 2 + (y - 0.4) ** 2 < 0.04
    rgb[disc] = (0.95, 0.8, 0.1)
    stripes = (np.sin(x * 60) > 0) & (y > 0.6)
    rgb[stripes] = (0.1, 0.1, 0.1)
    return Image.fromarray((rgb * 255).astype(np.uint8))
